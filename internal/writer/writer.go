package writer

import (
	"cmp"
	"context"
	"errors"
	"log/slog"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// Config tunes a Writer and its Pool. Zero fields take the defaults shown.
type Config struct {
	KeepAlive         time.Duration // keep-alive period of a quiet stream; default 30s
	WriteTimeout      time.Duration // longest one write may take, or a client leave written bytes unread; default 5m
	FinalWriteTimeout time.Duration // the same for a stream's last words; default 2s
	HeadTimeout       time.Duration // longest the response's head and first bytes may take; default 10s
	ShutdownRetry     time.Duration // the retry hint of a disconnect's last words, ±20 % (SPEC.md §4.7); default 3s
	Writers           int           // the pool's goroutines; default GOMAXPROCS
	SweepEvery        time.Duration // how often the pool checks keep-alives and timeouts; default 1s
	Log               *slog.Logger  // default: nowhere
}

func (c Config) withDefaults() (Config, error) {
	c.KeepAlive = cmp.Or(c.KeepAlive, 30*time.Second)
	c.WriteTimeout = cmp.Or(c.WriteTimeout, 5*time.Minute)
	c.FinalWriteTimeout = cmp.Or(c.FinalWriteTimeout, 2*time.Second)
	c.HeadTimeout = cmp.Or(c.HeadTimeout, 10*time.Second)
	c.ShutdownRetry = cmp.Or(c.ShutdownRetry, 3*time.Second)
	c.Writers = cmp.Or(c.Writers, runtime.GOMAXPROCS(0))
	c.SweepEvery = cmp.Or(c.SweepEvery, time.Second)
	if c.Log == nil {
		c.Log = slog.New(slog.DiscardHandler)
	}
	for _, d := range []time.Duration{c.KeepAlive, c.WriteTimeout, c.FinalWriteTimeout, c.HeadTimeout, c.ShutdownRetry, c.SweepEvery} {
		if d < 0 {
			return c, errors.New("writer: negative duration")
		}
	}
	if c.Writers < 0 {
		return c, errors.New("writer: negative number of writers")
	}
	return c, nil
}

// Writer writes clients' streams as the responses to their requests. Create it with [New]; while
// [Writer.Start]'s pool runs, plain HTTP/1.1 streams are written by the pool, the others by
// their handlers' goroutines.
type Writer struct {
	cfg     Config
	pool    atomic.Pointer[Pool] // set while Start's pool runs
	handing handoffs             // hijacked streams not yet in the pool, or written outside it
}

// New returns a Writer; it fails on a negative setting.
func New(cfg Config) (*Writer, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, err
	}
	return &Writer{cfg: cfg}, nil
}

// Start runs a pool for plain HTTP/1.1 streams until ctx ends, and returns it with a function
// that waits until it has said every stream's last words and closed every connection, those
// handed over too late for it among them. Once that function has begun, no stream is hijacked:
// a late one is written by its handler's goroutine, as the server's other requests are. Where the system has no readiness polling (anywhere
// but Linux) it logs why, returns a nil pool, and every stream is written by its handler's
// goroutine.
func (w *Writer) Start(ctx context.Context) (*Pool, func()) {
	pool, err := NewPool(w.cfg)
	if err != nil {
		w.cfg.Log.LogAttrs(ctx, slog.LevelInfo, "every stream is written by its own goroutine", slog.Any("reason", err))
		return nil, func() {}
	}
	var run sync.WaitGroup
	run.Go(func() { _ = pool.Run(ctx) }) // after ctx ends, it waits for the hub's goodbyes
	w.pool.Store(pool)
	return pool, func() { run.Wait(); w.handing.close() }
}

// Respond answers r with src's stream and writes it until it ends: the head, with rw's headers
// and those of an event stream, then first (the bytes the caller puts before everything else),
// then src's backlog and what the hub queues. A plain HTTP/1.1 stream is handed to the pool, if
// one runs, once its head and backlog are out, and Respond returns then; any other is written on
// the calling goroutine until it ends. ended runs once the stream has ended and src is closed.
// stop ends, by its end, the writing of a head or backlog to a client that does not read (the
// server is stopping: a hijacked connection is no request its shutdown waits for).
func (w *Writer) Respond(stop context.Context, rw http.ResponseWriter, r *http.Request, src Source, first []byte, ended func()) {
	h := rw.Header()
	h.Set("Content-Type", "text/event-stream; charset=utf-8")
	h.Set("Cache-Control", "no-cache")
	h.Set("X-Accel-Buffering", "no")
	if pool := w.pool.Load(); pool != nil && r.ProtoMajor == 1 && r.ProtoMinor == 1 && r.TLS == nil && w.handing.enter() {
		if nc, _, err := http.NewResponseController(rw).Hijack(); err == nil {
			defer w.handing.leave() // the server no longer counts it among its requests: we do
			w.handOver(stop, pool, nc, h, src, first, ended)
			return
		}
		w.handing.leave()
	}
	defer src.Close()
	defer ended()
	if r.ProtoMajor == 1 {
		h.Set("Connection", "keep-alive")
	}
	rw.WriteHeader(http.StatusOK)
	out := responseOutput{http.NewResponseController(rw), rw}
	if err := out.SetWriteDeadline(time.Now().Add(w.cfg.HeadTimeout)); err != nil {
		return
	}
	if _, err := rw.Write(first); err != nil || out.Flush() != nil {
		return
	}
	src.Wrote(len(first))
	_ = w.Stream(r.Context(), src, out) // it ends when the client, the hub or a write does; nothing to answer
}

// responseOutput is a stream's response as Stream writes it.
type responseOutput struct {
	rc *http.ResponseController
	w  http.ResponseWriter
}

func (o responseOutput) Write(p []byte) (int, error) { return o.w.Write(p) }
func (o responseOutput) Flush() error                { return o.rc.Flush() }

// SetWriteDeadline sets the deadline where the connection supports one.
func (o responseOutput) SetWriteDeadline(t time.Time) error {
	if err := o.rc.SetWriteDeadline(t); err != nil && !errors.Is(err, http.ErrNotSupported) {
		return err
	}
	return nil
}
