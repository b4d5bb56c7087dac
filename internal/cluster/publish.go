package cluster

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync/atomic"
	"time"

	"github.com/redis/go-redis/v9"

	"hasse/internal/hass"
	"hasse/internal/random"
)

// publishScript appends a batch to the stream (MAXLEN ~), each entry with the new state of its
// entity in the states hash, in one step, and only for the lease holder of the current epoch:
// it answers -1 when the lease is not the caller's, -2 when the epoch is not, else the id of the
// last entry written. ARGV: instance, epoch, maxlen, origin (the session), then per entry kind,
// value, state op ("s" set, "d" delete, "" none), entity id, state, item number.
var publishScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -2 end
local id = ''
for i = 5, #ARGV, 6 do
	id = redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'k', ARGV[i], 'p', ARGV[2], 'o', ARGV[4], 'i', ARGV[i+5], 'v', ARGV[i+1])
	if ARGV[i+2] == 's' then
		redis.call('HSET', KEYS[4], ARGV[i+3], ARGV[i+4])
	elseif ARGV[i+2] == 'd' then
		redis.call('HDEL', KEYS[4], ARGV[i+3])
	end
end
return id`)

// Why a leader's session ends.
var (
	errLeaseLost    = errors.New("cluster: the lease is no longer this instance's")
	errEpochChanged = errors.New("cluster: the stream's epoch changed")
	errHealed       = errors.New("cluster: redis is back; the ingest starts again to resync")
	errSuperseded   = errors.New("cluster: another instance wrote the stream while this one delivered locally")
)

// publisher is the leader's Sink: Home Assistant's events, in order, go to the stream; while
// Redis cannot be written they go to the local hub instead, through the feeder, without ids: the
// hub numbers them (SPEC.md §7: the leader keeps local delivery), until the stream shows another
// leader (feed.go). One session of the lease has one publisher. It numbers what it is handed,
// and marks each entry with its session and that number, so that the feeder can tell which of
// them a write it took for failed did store after all.
type publisher struct {
	n      *Node
	epoch  string
	origin string // this session's mark on its entries
	items  chan item
	done   <-chan struct{}          // the session's end
	local  atomic.Pointer[localRun] // once Redis could not be written: items go to the local hub; nil before

	// Owned by run.
	numbered uint64   // items numbered so far
	marked   bool     // the session's failover mark is in the stream
	linked   bool     // Home Assistant was connected once in this session
	written  StreamID // the newest entry of the stream this session knows of: its own last, or the newest as it began
	args     []any    // reused
}

type item struct {
	kind   itemKind
	ev     *hass.Event
	states []hass.State
	seq    uint64 // its number in the session, from 1
}

type itemKind uint8

const (
	itemEvent itemKind = iota
	itemUp
	itemDown
)

func newPublisher(n *Node, epoch string, newest StreamID, done <-chan struct{}) *publisher {
	origin := n.cfg.Instance + "." + random.Hex(4)
	return &publisher{n: n, epoch: epoch, origin: origin, written: newest, items: make(chan item, 4096), done: done}
}

// superseded reports whether another instance wrote the stream while this publisher delivered
// locally; its session should end.
func (p *publisher) superseded() bool {
	run := p.local.Load()
	return run != nil && run.stale.Load()
}

// Publish, Connected and Disconnected queue what Home Assistant said for run; they wait while
// 4096 items are queued, and return at once when the session has ended.
func (p *publisher) Publish(ev *hass.Event)        { p.put(item{kind: itemEvent, ev: ev}) }
func (p *publisher) Connected(states []hass.State) { p.put(item{kind: itemUp, states: states}) }
func (p *publisher) Disconnected()                 { p.put(item{kind: itemDown}) }

func (p *publisher) put(it item) {
	select {
	case <-p.done:
		return
	default:
	}
	select {
	case p.items <- it:
	case <-p.done:
	}
}

// maxBatch bounds the entries of one script call.
const maxBatch = 256

// run writes what is queued, in batches, until ctx ends or the lease or the epoch is found to be
// another's; then it calls end with the reason.
func (p *publisher) run(ctx context.Context, end func(error)) {
	batch := make([]item, 0, maxBatch)
	for {
		select {
		case it := <-p.items:
			batch = append(batch[:0], p.number(it))
		case <-ctx.Done():
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case it := <-p.items:
				batch = append(batch, p.number(it))
			default:
				break more
			}
		}
		if p.local.Load() != nil {
			p.deliverLocally(ctx, batch)
			continue
		}
		err := p.write(ctx, batch)
		switch {
		case err == nil:
		case errors.Is(err, errLeaseLost), errors.Is(err, errEpochChanged):
			end(err)
			return
		case ctx.Err() != nil:
			return
		default:
			p.n.noteRedis(err)
			run := &localRun{epoch: p.epoch, after: p.written, origin: p.origin}
			p.n.send(ctx, feedItem{kind: feedLocalOn, run: run})
			p.local.Store(run)
			p.n.state.setLocal(true)
			p.n.log.LogAttrs(ctx, slog.LevelWarn, "redis cannot be written; delivering to this instance's clients only", slog.Any("err", err))
			p.deliverLocally(ctx, batch)
		}
	}
}

// number gives it the session's next number.
func (p *publisher) number(it item) item {
	p.numbered++
	it.seq = p.numbered
	return it
}

// deliverLocally sends batch to the feeder, which hands it to the local hub unless the stream
// has shown another leader meanwhile.
func (p *publisher) deliverLocally(ctx context.Context, batch []item) {
	run := p.local.Load()
	for _, it := range batch {
		p.n.send(ctx, feedItem{kind: feedLocal, run: run, item: it})
	}
}

// write appends batch to the stream. The session's first entry is a failover mark; a
// connection to Home Assistant after the first is a link-up mark; each is followed by the
// resync events that take the states kept in Redis to Home Assistant's (SPEC.md §2, §7).
func (p *publisher) write(ctx context.Context, batch []item) error {
	var pending []entryArgs
	if !p.marked {
		pending = append(pending, markArgs(kindFailover, 0))
	}
	for _, it := range batch {
		switch it.kind {
		case itemEvent:
			pending = append(pending, eventArgs(it.ev, it.seq))
		case itemDown:
			pending = append(pending, markArgs(kindLinkDown, it.seq))
		case itemUp:
			if err := p.flush(ctx, pending); err != nil { // the states hash must hold every event before
				return err
			}
			pending = pending[:0]
			if p.linked {
				pending = append(pending, markArgs(kindLinkUp, it.seq))
			}
			p.linked = true
			events, err := p.resync(ctx, it.states)
			if err != nil {
				return err
			}
			for _, ev := range events {
				pending = append(pending, eventArgs(ev, it.seq))
			}
		}
	}
	return p.flush(ctx, pending)
}

// entryArgs are one entry's arguments of publishScript.
type entryArgs struct {
	kind       string
	value      []byte
	op, entity string
	state      []byte
	item       uint64
}

func markArgs(kind string, item uint64) entryArgs { return entryArgs{kind: kind, item: item} }

func eventArgs(ev *hass.Event, item uint64) entryArgs {
	a := entryArgs{kind: kindEvent, value: encodeEvent(ev), item: item}
	if st, ok := hass.StateOf(ev); ok {
		a.op, a.entity, a.state = "s", st.EntityID, encodeState(st)
	} else if ev.Type == hass.TypeStateChanged && ev.EntityID != "" {
		a.op, a.entity = "d", ev.EntityID // removed
	}
	return a
}

// flush runs publishScript over entries, maxBatch at a time.
func (p *publisher) flush(ctx context.Context, entries []entryArgs) error {
	for chunk := range slices.Chunk(entries, maxBatch) {
		p.args = append(p.args[:0], p.n.cfg.Instance, p.epoch, p.n.cfg.MaxLen, p.origin)
		for _, e := range chunk {
			p.args = append(p.args, e.kind, e.value, e.op, e.entity, e.state, e.item)
		}
		res, err := publishScript.Run(ctx, p.n.rdb, []string{p.n.keys.leader, p.n.keys.epoch, p.n.keys.stream, p.n.keys.states}, p.args...).Result()
		if err != nil {
			return err
		}
		switch res := res.(type) {
		case int64:
			if res == -1 {
				return errLeaseLost
			}
			return errEpochChanged
		case string:
			if id, ok := ParseStreamID(res); ok {
				p.written = id
			}
		}
		p.marked = true
	}
	return nil
}

// resync returns the events that take the states kept in Redis to truth, in entity id order.
func (p *publisher) resync(ctx context.Context, truth []hass.State) ([]*hass.Event, error) {
	stored, err := p.n.rdb.HGetAll(ctx, p.n.keys.states).Result()
	if err != nil {
		return nil, err
	}
	known := make(map[string]hass.State, len(stored))
	for id, b := range stored {
		if st, err := decodeState(b); err == nil {
			known[id] = st
		}
	}
	return hass.Diff(known, truth, time.Now()), nil
}
