package writer

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// ErrClosed refuses a connection handed to a pool that has stopped.
var ErrClosed = errors.New("writer: pool stopped")

// Pool writes streams to their connections. Create it with [NewPool] and run it with [Pool.Run];
// Add is safe for concurrent use.
type Pool struct {
	cfg    Config
	poller *poller
	shards []*shard
	next   atomic.Uint32 // round-robin over shards

	mu      sync.Mutex
	stopped bool
	live    sync.WaitGroup // one count per connection held
}

// ShardStatus is one writing goroutine's load, for the statistics tool.
type ShardStatus struct {
	Connections int           // connections the shard serves now
	Writes      uint64        // writes to sockets so far, partial ones included
	Bytes       uint64        // bytes the sockets took so far
	Busy        time.Duration // time spent serving connections so far, not waiting
}

// Status returns the load of every shard. The counters are read one by one, each atomically.
func (p *Pool) Status() []ShardStatus {
	out := make([]ShardStatus, len(p.shards))
	for i, sh := range p.shards {
		out[i] = ShardStatus{
			Connections: int(sh.load.conns.Load()),
			Writes:      sh.load.writes.Load(),
			Bytes:       sh.load.bytes.Load(),
			Busy:        time.Duration(sh.load.busy.Load()),
		}
	}
	return out
}

// NewPool returns a Pool that is not yet running; [Writer.Start] makes and runs one. It fails
// on a negative setting, and where the system has no readiness polling (anywhere but Linux):
// streams are then written by their handlers.
func NewPool(cfg Config) (*Pool, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	p, err := newPoller()
	if err != nil {
		return nil, err
	}
	pool := &Pool{cfg: cfg, poller: p}
	for range cfg.Writers {
		pool.shards = append(pool.shards, newShard(pool))
	}
	return pool, nil
}

// Add takes over nc, a plain TCP connection whose chunked HTTP/1.1 response has begun and whose
// backlog is written, to write s to it: each write is one chunk, and a stream that ends ends its
// response. From then on the pool owns both: it closes nc and calls s.Close and then onEnd when
// the stream ends. Add fails, owning nothing, when nc is not a socket or the pool has stopped.
func (p *Pool) Add(s Source, nc net.Conn, onEnd func()) error {
	sc, ok := nc.(syscall.Conn)
	if !ok {
		return errors.ErrUnsupported
	}
	raw, err := sc.SyscallConn()
	if err != nil {
		return err
	}
	if err := nc.SetDeadline(time.Time{}); err != nil { // the pool never blocks on it
		return err
	}
	var fd uintptr
	if err := raw.Control(func(s uintptr) { fd = s }); err != nil {
		return err
	}
	sh := p.shards[p.next.Add(1)%uint32(len(p.shards))]
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return ErrClosed
	}
	c := &conn{stream: s, kind: s.Kind(), nc: nc, raw: raw, fd: fd, shard: sh, onEnd: onEnd, lastWrite: time.Now()}
	p.live.Add(1)
	sh.adopt(c) // before epoll can wake it: the shard knows every connection it serves
	if p.poller.add(c) != nil {
		c.hungUp.Store(true) // unpolled, it cannot be served: its shard closes it
	}
	s.Wake(c.wake)
	return nil
}

// Run writes until ctx ends. Then it goes on until every stream has said its last words (the
// hub ends them all as it stops) or Config.FinalWriteTimeout passes, closes what is left, and
// returns nil.
func (p *Pool) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	stop := make(chan struct{})
	for _, sh := range p.shards {
		wg.Go(func() { sh.run(stop) })
	}
	wg.Go(func() {
		if err := p.poller.run(); err != nil {
			p.cfg.Log.LogAttrs(ctx, slog.LevelError, "epoll failed: hang-ups are noticed only when a write fails", slog.Any("err", err))
		}
	})
	<-ctx.Done()
	p.mu.Lock()
	p.stopped = true
	p.mu.Unlock()
	drained := make(chan struct{})
	wg.Go(func() { p.live.Wait(); close(drained) })
	grace := time.NewTimer(p.cfg.FinalWriteTimeout + p.cfg.SweepEvery)
	select {
	case <-drained:
	case <-grace.C:
	}
	grace.Stop()
	close(stop) // each shard closes what it still holds
	p.live.Wait()
	p.poller.stop()
	wg.Wait()
	return p.poller.close()
}
