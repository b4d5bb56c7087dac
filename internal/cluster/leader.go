package cluster

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"hasse/internal/hass"
)

// Ingest runs the link to Home Assistant until ctx ends, handing sink what it reads;
// halink.Client.Run is one.
type Ingest func(ctx context.Context, sink Sink) error

// Sink takes what the link to Home Assistant reads, in order: its events, its connecting with
// every entity's state, its losing the connection. halink.Sink has the same methods; the
// cluster names its own so that it needs no WebSocket code.
type Sink interface {
	Publish(ev *hass.Event)
	Connected(states []hass.State)
	Disconnected()
}

// lead is the lease loop. While another instance holds the lease it waits for the lease to run
// out, checking every renewal period, and then takes it; while this instance holds it, it runs
// the ingest (session). It returns when ctx ends, giving the lease up.
func (n *Node) lead(ctx context.Context, ingest Ingest) {
	defer func() {
		rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
		defer cancel()
		_ = n.release(rctx)
	}()
	for ctx.Err() == nil {
		actx, cancel := context.WithTimeout(ctx, n.cfg.renewEvery())
		held, left, err := n.acquire(actx)
		cancel()
		switch {
		case ctx.Err() != nil:
		case err != nil:
			n.noteRedis(err)
			wait(ctx, n.cfg.Retry)
		case !held:
			wait(ctx, min(max(left, 10*time.Millisecond), n.cfg.renewEvery()))
		default:
			n.noteRedis(nil)
			n.session(ctx, ingest)
		}
	}
}

// session runs the ingest while this instance holds the lease, renewing it every 3/10 of its
// length. It returns, stopping the ingest at once, when the lease turns out to be another's,
// when the stream's epoch changed, when Redis is back after the publisher had to deliver
// locally (a new session resyncs the stream), when another instance wrote the stream meanwhile
// (feed.go), or when ctx ends. While Redis cannot be reached
// the session goes on: no other instance can write the stream meanwhile, for the publishing
// script checks the lease.
func (n *Node) session(ctx context.Context, ingest Ingest) {
	ectx, cancel := context.WithTimeout(ctx, n.cfg.renewEvery())
	epoch, newest, err := n.begin(ectx)
	cancel()
	if err != nil {
		n.noteRedis(err)
		wait(ctx, n.cfg.Retry)
		return
	}
	sctx, end := context.WithCancelCause(ctx)
	defer end(nil)
	pub := newPublisher(n, epoch, newest, sctx.Done())
	n.state.setLeading(true)
	n.log.LogAttrs(ctx, slog.LevelInfo, "leading the ingest", slog.String("instance", n.cfg.Instance), slog.String("epoch", epoch))
	var wg sync.WaitGroup
	wg.Go(func() { pub.run(sctx, end) })
	wg.Go(func() {
		err := ingest(sctx, pub)
		end(err) // the ingest ended by itself: so does the session
	})
	t := time.NewTicker(n.cfg.renewEvery())
	for sctx.Err() == nil {
		select {
		case <-sctx.Done():
		case <-t.C:
			rctx, cancel := context.WithTimeout(sctx, n.cfg.renewEvery())
			held, err := n.renew(rctx)
			cancel()
			switch {
			case sctx.Err() != nil:
			case err != nil:
				n.noteRedis(err)
			case !held:
				end(errLeaseLost)
			case pub.superseded():
				end(errSuperseded)
			case pub.local.Load() != nil:
				end(errHealed)
			default:
				n.noteRedis(nil)
			}
		}
	}
	t.Stop()
	wg.Wait()
	n.state.setLeading(false)
	if cause := context.Cause(sctx); ctx.Err() == nil {
		level := slog.LevelWarn
		if errors.Is(cause, errHealed) {
			level = slog.LevelInfo
		}
		n.log.LogAttrs(ctx, level, "ingest stopped", slog.String("instance", n.cfg.Instance), slog.Any("reason", cause))
	}
}
