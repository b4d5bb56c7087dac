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
)

// publishScript appends a batch to the stream (MAXLEN ~), each entry with the new state of its
// entity in the states hash, in one step, and only for the lease holder of the current epoch:
// it answers -1 when the lease is not the caller's, -2 when the epoch is not, else the number
// of entries written. ARGV: instance, epoch, maxlen, then per entry kind, value, state op ("s"
// set, "d" delete, "" none), entity id, state.
var publishScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) ~= ARGV[1] then return -1 end
if redis.call('GET', KEYS[2]) ~= ARGV[2] then return -2 end
for i = 4, #ARGV, 5 do
	redis.call('XADD', KEYS[3], 'MAXLEN', '~', ARGV[3], '*', 'k', ARGV[i], 'p', ARGV[2], 'v', ARGV[i+1])
	if ARGV[i+2] == 's' then
		redis.call('HSET', KEYS[4], ARGV[i+3], ARGV[i+4])
	elseif ARGV[i+2] == 'd' then
		redis.call('HDEL', KEYS[4], ARGV[i+3])
	end
end
return (#ARGV - 3) / 5`)

// Why a leader's session ends.
var (
	errLeaseLost    = errors.New("cluster: the lease is no longer this instance's")
	errEpochChanged = errors.New("cluster: the stream's epoch changed")
	errHealed       = errors.New("cluster: redis is back; the ingest starts again to resync")
)

// publisher is the leader's halink.Sink: Home Assistant's events, in order, go to the stream; while
// Redis cannot be written they go to the local hub instead, through the door the reader uses,
// without ids: the hub numbers them (SPEC.md §7: the leader keeps local delivery). One session
// of the lease has one publisher.
type publisher struct {
	n     *Node
	hub   Hub
	epoch string
	items chan item
	done  <-chan struct{} // the session's end
	local atomic.Bool     // Redis could not be written: items go to the local hub

	// Owned by run.
	marked bool  // the session's failover mark is in the stream
	linked bool  // Home Assistant was connected once in this session
	args   []any // reused
}

type item struct {
	kind   itemKind
	ev     *hass.Event
	states []hass.State
}

type itemKind uint8

const (
	itemEvent itemKind = iota
	itemUp
	itemDown
)

func newPublisher(n *Node, h Hub, epoch string, done <-chan struct{}) *publisher {
	return &publisher{n: n, hub: h, epoch: epoch, items: make(chan item, 4096), done: done}
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
			batch = append(batch[:0], it)
		case <-ctx.Done():
			return
		}
	more:
		for len(batch) < maxBatch {
			select {
			case it := <-p.items:
				batch = append(batch, it)
			default:
				break more
			}
		}
		if p.local.Load() {
			p.deliverLocally(batch)
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
			p.local.Store(true)
			p.n.state.setLocal(true)
			p.n.log.LogAttrs(ctx, slog.LevelWarn, "redis cannot be written; delivering to this instance's clients only", slog.Any("err", err))
			p.deliverLocally(batch)
		}
	}
}

func (p *publisher) deliverLocally(batch []item) {
	for _, it := range batch {
		switch it.kind {
		case itemEvent:
			p.hub.Publish(it.ev)
		case itemUp:
			p.hub.Connected(it.states)
		case itemDown:
			p.hub.Disconnected()
		}
	}
}

// write appends batch to the stream. The session's first entry is a failover mark; a
// connection to Home Assistant after the first is a link-up mark; each is followed by the
// resync events that take the states kept in Redis to Home Assistant's (SPEC.md §2, §7).
func (p *publisher) write(ctx context.Context, batch []item) error {
	var pending []entryArgs
	if !p.marked {
		pending = append(pending, markArgs(kindFailover))
	}
	for _, it := range batch {
		switch it.kind {
		case itemEvent:
			pending = append(pending, eventArgs(it.ev))
		case itemDown:
			pending = append(pending, markArgs(kindLinkDown))
		case itemUp:
			if err := p.flush(ctx, pending); err != nil { // the states hash must hold every event before
				return err
			}
			pending = pending[:0]
			if p.linked {
				pending = append(pending, markArgs(kindLinkUp))
			}
			p.linked = true
			events, err := p.resync(ctx, it.states)
			if err != nil {
				return err
			}
			for _, ev := range events {
				pending = append(pending, eventArgs(ev))
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
}

func markArgs(kind string) entryArgs { return entryArgs{kind: kind} }

func eventArgs(ev *hass.Event) entryArgs {
	a := entryArgs{kind: kindEvent, value: encodeEvent(ev)}
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
		p.args = append(p.args[:0], p.n.cfg.Instance, p.epoch, p.n.cfg.MaxLen)
		for _, e := range chunk {
			p.args = append(p.args, e.kind, e.value, e.op, e.entity, e.state)
		}
		n, err := publishScript.Run(ctx, p.n.rdb, []string{p.n.keys.leader, p.n.keys.epoch, p.n.keys.stream, p.n.keys.states}, p.args...).Int()
		switch {
		case err != nil:
			return err
		case n == -1:
			return errLeaseLost
		case n == -2:
			return errEpochChanged
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
