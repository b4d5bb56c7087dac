package cluster

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"time"

	"github.com/redis/go-redis/v9"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// Hub is the local hub as the Node feeds it; hub.Hub satisfies it. The reader hands it the
// stream's events with their ids (Publish), the leader's link going down (Disconnected), the
// marks where clients may have missed events (Gap), and a new start when the stream's history
// was lost (Reset); the leader hands it its own events, without ids, while Redis cannot be
// written.
type Hub interface {
	Sink
	Gap(id string, reason format.Gap)
	Reset(at string, reason format.Gap, states []hass.State)
}

// startScript says where a reader that starts, or whose epoch changed, takes the stream up:
// from its first entry when it still holds the whole epoch (then no state comes before it),
// otherwise after its newest entry, with every entity's state as of that entry, and how many
// entries the epoch had up to there. It answers nil when Redis has no epoch.
var startScript = redis.NewScript(`
local epoch = redis.call('GET', KEYS[1])
if not epoch then return false end
if redis.call('EXISTS', KEYS[2]) == 0 then return {epoch, '0-0', {}, 0} end
local info = redis.call('XINFO', 'STREAM', KEYS[2])
local length, added, last
for i = 1, #info, 2 do
	if info[i] == 'length' then length = info[i+1]
	elseif info[i] == 'entries-added' then added = info[i+1]
	elseif info[i] == 'last-generated-id' then last = info[i+1] end
end
if length == added then return {epoch, '0-0', {}, 0} end
return {epoch, last, redis.call('HGETALL', KEYS[3]), added}`)

// start returns where the reader takes the stream up: its epoch, the id to read after, the
// states as of that id, and how many entries the epoch had up to it.
func (n *Node) start(ctx context.Context, rdb *redis.Client) (string, StreamID, []hass.State, int64, error) {
	res, err := startScript.Run(ctx, rdb, []string{n.keys.epoch, n.keys.stream, n.keys.states}).Slice()
	if errors.Is(err, redis.Nil) {
		if _, _, err = n.begin(ctx); err == nil {
			res, err = startScript.Run(ctx, rdb, []string{n.keys.epoch, n.keys.stream, n.keys.states}).Slice()
		}
	}
	if err != nil {
		return "", StreamID{}, nil, 0, err
	}
	epoch, _ := res[0].(string)
	lastText, _ := res[1].(string)
	at, ok := ParseStreamID(lastText)
	if epoch == "" || !ok || len(res) < 4 {
		return "", StreamID{}, nil, 0, fmt.Errorf("start: unexpected answer %v", res)
	}
	added, _ := res[3].(int64)
	var states []hass.State
	if flat, _ := res[2].([]any); len(flat) > 0 {
		for i := 1; i < len(flat); i += 2 {
			b, _ := flat[i].(string)
			st, err := decodeState(b)
			if err != nil {
				n.log.LogAttrs(ctx, slog.LevelError, "unreadable state in redis", slog.Any("entity_id", flat[i-1]), slog.Any("err", err))
				continue
			}
			states = append(states, st)
		}
	}
	return epoch, at, states, added, nil
}

// read is the instance's one XREAD BLOCK loop, on a connection of its own: it sends the feeder
// every entry of the stream, in order, until ctx ends. When the stream's epoch changes (Redis lost its
// data) it follows the new one from its start; while Redis cannot be reached it tries again
// every Config.Retry, and goes on where it was.
func (n *Node) read(ctx context.Context) {
	opt, _ := n.cfg.options() // checked by New
	opt.PoolSize, opt.MinIdleConns, opt.MaxIdleConns = 1, 0, 1
	rdb := redis.NewClient(opt)
	defer rdb.Close()

	var (
		epoch     string
		last      StreamID
		read      int64 // entries of the epoch up to last: those read, and those before the start
		following bool
	)
	for ctx.Err() == nil {
		if !following {
			e, at, states, before, err := n.start(ctx, rdb)
			if err != nil {
				n.readFailed(ctx, err)
				continue
			}
			if epoch != e || last != at { // not where it was: the hub starts over
				var reason format.Gap // none for the first start
				switch {
				case epoch != "" && epoch != e:
					reason = format.GapEpochChanged
				case epoch != "": // entries it had not read were trimmed
					reason = format.GapReplayWindowExceeded
				}
				n.send(ctx, feedItem{kind: feedReset, at: eventID(e, at), reason: reason, states: states})
			}
			epoch, last, read, following = e, at, before, true
			n.state.setEpoch(e)
			n.noteRedis(nil)
		}
		res, err := rdb.XRead(ctx, &redis.XReadArgs{Streams: []string{n.keys.stream, last.String()}, Count: 1000, Block: n.cfg.Block}).Result()
		switch {
		case errors.Is(err, redis.Nil): // nothing new within the block: is the epoch still ours?
			cur, err := rdb.Get(ctx, n.keys.epoch).Result()
			if err != nil && !errors.Is(err, redis.Nil) {
				n.readFailed(ctx, err)
				continue
			}
			following = cur == epoch
			n.noteRedis(nil)
			continue
		case err != nil:
			n.readFailed(ctx, err)
			continue
		}
		// Checked after the read, not before: a trim between the two would leave a hole that
		// XREAD passes over without a word.
		lost, err := n.trimmedUnread(ctx, rdb, read)
		if err != nil {
			n.readFailed(ctx, err)
			continue
		}
		if lost {
			n.log.LogAttrs(ctx, slog.LevelWarn, "the stream was trimmed past entries this instance had not read; its clients get a gap",
				slog.String("last_read", last.String()))
			following = false // take the stream up where it is now: the hub sends the gap
			continue
		}
		n.noteRedis(nil)
		for _, m := range res[0].Messages {
			read++
			e, of, err := decodeEntry(fieldsOf(m.ID, m.Values))
			if err != nil {
				n.log.LogAttrs(ctx, slog.LevelError, "unreadable stream entry skipped", slog.Any("err", err))
				if id, ok := ParseStreamID(m.ID); ok {
					last = id
				}
				continue
			}
			if of != epoch { // the stream was made anew, by the instance that made a new epoch
				following = false
				break
			}
			n.send(ctx, feedItem{kind: feedEntry, epoch: epoch, entry: e})
			last = e.id
		}
	}
}

// trimmedUnread reports whether MAXLEN has trimmed entries of the stream that come after the
// first read ones: more entries are gone than have been read (the stream is only ever trimmed
// from its oldest end, and a new epoch makes a new stream).
func (n *Node) trimmedUnread(ctx context.Context, rdb *redis.Client, read int64) (bool, error) {
	var exists *redis.IntCmd
	var info *redis.XInfoStreamCmd
	_, err := rdb.TxPipelined(ctx, func(p redis.Pipeliner) error { // one step: the answers agree
		exists = p.Exists(ctx, n.keys.stream)
		info = p.XInfoStream(ctx, n.keys.stream)
		return nil
	})
	switch {
	case exists.Err() != nil:
		return false, exists.Err()
	case exists.Val() == 0:
		return false, nil // no entry yet: XINFO's error says so
	case err != nil:
		return false, err
	}
	return info.Val().EntriesAdded-info.Val().Length > read, nil
}

// readFailed records a failed read and waits Config.Retry.
func (n *Node) readFailed(ctx context.Context, err error) {
	if ctx.Err() != nil {
		return
	}
	n.noteRedis(err)
	wait(ctx, n.cfg.Retry)
}

// wait waits d, or until ctx ends.
func wait(ctx context.Context, d time.Duration) {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
	case <-ctx.Done():
	}
}
