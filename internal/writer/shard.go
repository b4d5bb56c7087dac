package writer

import (
	"net"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"hasse/internal/format"
)

// conn is one connection the pool writes to.
type conn struct {
	stream Source
	kind   format.Kind // stream.Kind()
	nc     net.Conn
	raw    syscall.RawConn
	fd     uintptr // the socket's descriptor, valid until the shard closes nc
	shard  *shard
	onEnd  func()
	token  uint32 // the poller's name for it

	scheduled atomic.Bool // waiting in its shard's run queue
	hungUp    atomic.Bool // the client closed its end

	// Owned by the shard's goroutine.
	slot         int       // index in shard.conns
	pending      []byte    // written in part: the rest waits until the socket drains
	pendingSince time.Time // when the socket last took bytes while some waited
	lastWrite    time.Time
	final        bool // the stream's last words are taken: close once they are written
	closed       bool
}

// wake puts c in its shard's run queue, once however often it is called before it runs.
func (c *conn) wake() {
	if c.scheduled.CompareAndSwap(false, true) {
		c.shard.schedule(c)
	}
}

// ended reports whether c's stream has ended, its last words written or not.
func (c *conn) ended() bool { return c.final || c.stream.Ended() }

// shard is one writing goroutine and the connections it owns.
type shard struct {
	pool   *Pool
	signal chan struct{} // holds a token while the run queue is not empty

	mu      sync.Mutex
	runq    []*conn // connections with something to do
	adopted []*conn // connections new to the shard

	load shardLoad

	// Owned by run.
	conns    []*conn
	spare    []*conn // the last run queue, reused
	buf      []byte
	received []time.Time
}

// shardLoad counts a shard's work for [Pool.Status]. Only the shard's goroutine adds to it (and
// the goroutine closing a connection, once), so the atomic adds never contend.
type shardLoad struct {
	conns  atomic.Int64
	writes atomic.Uint64
	bytes  atomic.Uint64
	busy   atomic.Int64 // nanoseconds
}

// wrote counts one write to c that put n bytes on its socket.
func (sh *shard) wrote(c *conn, n int) {
	sh.load.writes.Add(1)
	if n > 0 {
		sh.load.bytes.Add(uint64(n))
		c.stream.Wrote(n)
	}
}

func newShard(p *Pool) *shard {
	return &shard{pool: p, signal: make(chan struct{}, 1), buf: make([]byte, 0, 64<<10)}
}

func (sh *shard) adopt(c *conn) {
	sh.mu.Lock()
	sh.adopted = append(sh.adopted, c)
	sh.mu.Unlock()
}

func (sh *shard) schedule(c *conn) {
	sh.mu.Lock()
	sh.runq = append(sh.runq, c)
	sh.mu.Unlock()
	select {
	case sh.signal <- struct{}{}:
	default:
	}
}

// run serves the shard's connections until stop is closed, then closes them.
func (sh *shard) run(stop <-chan struct{}) {
	tick := time.NewTicker(sh.pool.cfg.SweepEvery)
	defer tick.Stop()
	for {
		select {
		case <-sh.signal:
			start := time.Now()
			sh.work()
			sh.load.busy.Add(int64(time.Since(start)))
		case now := <-tick.C:
			start := time.Now() // not now: the tick may have waited for the shard
			sh.work()
			sh.sweep(now)
			sh.load.busy.Add(int64(time.Since(start)))
		case <-stop:
			sh.work()
			for len(sh.conns) > 0 {
				sh.close(sh.conns[len(sh.conns)-1])
			}
			return
		}
	}
}

// work adopts new connections and serves every connection in the run queue.
func (sh *shard) work() {
	sh.mu.Lock()
	batch, adopted := sh.runq, sh.adopted
	sh.runq, sh.adopted = sh.spare, nil
	sh.mu.Unlock()
	for _, c := range adopted {
		c.slot = len(sh.conns)
		sh.conns = append(sh.conns, c)
	}
	if len(adopted) > 0 {
		sh.load.conns.Add(int64(len(adopted)))
	}
	for i, c := range batch {
		c.scheduled.Store(false) // a wake from now on runs it again
		sh.serve(c)
		batch[i] = nil
	}
	sh.spare = batch[:0]
}

// serve writes what c's stream has for it, after what its socket would not take before.
func (sh *shard) serve(c *conn) {
	switch {
	case c.closed:
		return
	case c.hungUp.Load():
		sh.close(c)
		return
	case len(c.pending) > 0 && !sh.flush(c):
		return
	case c.final:
		sh.close(c) // the last words are out
		return
	}
	buf, received := sh.buf[:chunkHead], sh.received[:0]
	if c.stream.Ended() { // its last words, once, and the connection closes
		c.final = true
		buf = appendLastWords(buf, c.stream, sh.pool.cfg.ShutdownRetry, time.Now())
	} else {
		buf, received = c.stream.Next(buf, received)
	}
	sh.buf, sh.received = buf[:0], received[:0]
	switch {
	case len(buf) > chunkHead:
		buf = chunk(buf)
	case !c.final:
		return
	default:
		buf = buf[:0]
	}
	if c.final {
		buf = append(buf, lastChunk...)
	}
	sh.write(c, buf, received)
}

// write writes buf to c and keeps what the socket would not take.
func (sh *shard) write(c *conn, buf []byte, received []time.Time) {
	n, err := c.write(buf)
	sh.wrote(c, n)
	if err != nil {
		c.stream.WriteFailed(len(received))
		sh.close(c)
		return
	}
	now := time.Now()
	if n > 0 {
		c.lastWrite = now
	}
	c.stream.Delivered(now, received) // queued in the socket or kept here: they are the client's now
	if n < len(buf) {
		c.pending = append([]byte(nil), buf[n:]...)
		c.pendingSince = now
		return
	}
	if c.final {
		sh.close(c)
	}
}

// flush writes c's pending bytes and reports whether all are out.
func (sh *shard) flush(c *conn) bool {
	n, err := c.write(c.pending)
	sh.wrote(c, n)
	if err != nil {
		sh.close(c)
		return false
	}
	if n > 0 {
		c.lastWrite = time.Now()
		if !c.ended() { // an ended stream's last words get FinalWriteTimeout in all
			c.pendingSince = c.lastWrite
		}
	}
	if n < len(c.pending) {
		c.pending = c.pending[n:]
		return false
	}
	c.pending = nil
	return true
}

// sweep sends keep-alives to quiet streams and closes connections that hung up or stopped
// reading for longer than they may.
func (sh *shard) sweep(now time.Time) {
	cfg := sh.pool.cfg
	for i := len(sh.conns) - 1; i >= 0; i-- { // backwards: close moves the last one here
		c := sh.conns[i]
		switch {
		case c.hungUp.Load():
			sh.close(c)
		case len(c.pending) > 0:
			limit := cfg.WriteTimeout
			if c.ended() {
				limit = cfg.FinalWriteTimeout
			}
			if now.Sub(c.pendingSince) > limit {
				sh.close(c)
			}
		case now.Sub(c.lastWrite) >= cfg.KeepAlive:
			sh.write(c, chunk(format.AppendKeepAlive(sh.buf[:chunkHead], c.kind, now)), nil)
		}
	}
}

// close closes c's connection and ends its stream.
func (sh *shard) close(c *conn) {
	if c.closed {
		return
	}
	c.closed = true
	c.pending = nil
	sh.pool.poller.remove(c)
	_ = c.nc.Close()
	last := sh.conns[len(sh.conns)-1]
	sh.conns[c.slot], last.slot = last, c.slot
	sh.conns[len(sh.conns)-1] = nil
	sh.conns = sh.conns[:len(sh.conns)-1]
	sh.load.conns.Add(-1)
	go func() { // the hub may be busy: the shard's other connections need not wait for it
		c.stream.Close()
		if c.onEnd != nil {
			c.onEnd()
		}
		sh.pool.live.Done()
	}()
}
