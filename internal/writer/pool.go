// Package writer writes many clients' streams to their connections from a few goroutines, one
// per core, instead of one goroutine per client. A connection it takes is a plain TCP socket
// whose HTTP/1.1 response headers, announcing chunked transfer coding, are already written; each
// write is one chunk, and a stream that ends ends its response. The pool writes without
// blocking, keeps what a full socket would not take until the kernel says it drains, sends
// keep-alives, and learns from epoll when a client hangs up. A quiet client costs a few hundred
// bytes here, not a goroutine's stack and buffers.
package writer

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"runtime"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// Stream is one client's event stream as the pool drains it; hub.Client is one.
type Stream interface {
	// Attach arranges for wake to be called, without blocking, whenever Next has something new.
	Attach(wake func())
	// Next appends what the connection is owed now and the receive times of its events; final
	// marks the stream's last words, after which the connection is closed.
	Next(dst []byte, received []time.Time) (_ []byte, _ []time.Time, final bool)
	// Delivered is told of the events written at now.
	Delivered(now time.Time, received []time.Time)
	// Wrote is told of the bytes each write put on the connection, as they go.
	Wrote(n int)
	// WriteFailed is told of a write that failed, with the number of events it carried.
	WriteFailed(events int)
	// AppendKeepAlive appends a keep-alive for a quiet stream.
	AppendKeepAlive(dst []byte, now time.Time) []byte
	// Done is closed when the stream has ended: what is still unwritten gets only
	// Config.FinalWriteTimeout more.
	Done() <-chan struct{}
	// Close unregisters the stream once its connection is gone.
	Close()
}

// Config tunes a Pool. Zero fields take the defaults shown.
type Config struct {
	Writers           int           // goroutines writing; default GOMAXPROCS
	KeepAlive         time.Duration // keep-alive period of a quiet stream; default 30s
	WriteTimeout      time.Duration // longest a client may leave written bytes unread; default 5m
	FinalWriteTimeout time.Duration // the same for a stream's last words; default 2s
	SweepEvery        time.Duration // how often keep-alives and timeouts are checked; default 1s
	Log               *slog.Logger  // default: nowhere
}

// ErrClosed refuses a connection handed to a pool that has stopped.
var ErrClosed = errors.New("writer: pool stopped")

// Pool writes streams to their connections. Create it with [New] and run it with [Pool.Run];
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

// New returns a Pool that is not yet running. It fails where the system has no readiness
// polling (anywhere but Linux): streams are then written by their handlers.
func New(cfg Config) (*Pool, error) {
	cfg.Writers = cmpOr(cfg.Writers, runtime.GOMAXPROCS(0))
	cfg.KeepAlive = cmpOr(cfg.KeepAlive, 30*time.Second)
	cfg.WriteTimeout = cmpOr(cfg.WriteTimeout, 5*time.Minute)
	cfg.FinalWriteTimeout = cmpOr(cfg.FinalWriteTimeout, 2*time.Second)
	cfg.SweepEvery = cmpOr(cfg.SweepEvery, time.Second)
	if cfg.Log == nil {
		cfg.Log = slog.New(slog.DiscardHandler)
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

// Add takes over nc, whose response has begun, to write s to it. From then on the pool owns
// both: it closes nc and calls s.Close and then onEnd when the stream ends. Add fails, owning
// nothing, when nc is not a socket or the pool has stopped.
func (p *Pool) Add(s Stream, nc net.Conn, onEnd func()) error {
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
	c := &conn{stream: s, nc: nc, raw: raw, fd: fd, shard: sh, onEnd: onEnd, lastWrite: time.Now()}
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.stopped {
		return ErrClosed
	}
	p.live.Add(1)
	sh.adopt(c) // before epoll can wake it: the shard knows every connection it serves
	if p.poller.add(c) != nil {
		c.hungUp.Store(true) // unpolled, it cannot be served: its shard closes it
	}
	s.Attach(c.wake)
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

func cmpOr[T comparable](v, def T) T {
	var zero T
	if v == zero {
		return def
	}
	return v
}
