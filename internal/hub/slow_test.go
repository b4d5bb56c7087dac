package hub

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/hass"
	"hasse/internal/writer"
)

// countingOutput counts the events written to it and signals each flush.
type countingOutput struct {
	events  atomic.Int64
	flushed func()
}

func (o *countingOutput) Write(p []byte) (int, error) {
	o.events.Add(int64(len(ids(string(p)))))
	return len(p), nil
}
func (o *countingOutput) Flush() error                     { o.flushed(); return nil }
func (o *countingOutput) SetWriteDeadline(time.Time) error { return nil }

// TestOneStalledClientAmongAThousand publishes while 999 clients keep up and one reads nothing:
// every reader gets every event, and the stalled one is dropped as a slow consumer without its
// queue ever holding more than its bound. It runs in a synctest bubble, where "keeping up" has a
// meaning that does not depend on the machine's load: after each burst of events, every goroutine
// runs until it blocks (synctest.Wait) before the next burst is published. How long a delivery
// takes beside a stalled client is BenchmarkFanoutLatency's question, not this test's.
func TestOneStalledClientAmongAThousand(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const readers, events, burst, bound = 999, 100, 10, 16 << 10 // the stalled queue overflows after about 50
		h := startHub(t, Config{MaxClients: readers + 1, MaxClientsPerUser: readers + 1, QueueBytes: bound})
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		stalled, err := h.Subscribe(ctx, Subscription{ID: "stalled", User: "u"})
		if err != nil {
			t.Fatal(err)
		}
		outs := make([]*countingOutput, readers)
		w := newWriter(t, writer.Config{})
		var wg sync.WaitGroup
		for i := range outs {
			c, err := h.Subscribe(ctx, Subscription{ID: fmt.Sprint(i), User: "u"})
			if err != nil {
				t.Fatal(err)
			}
			outs[i] = &countingOutput{flushed: func() {}}
			wg.Go(func() { _ = w.Stream(ctx, c, outs[i]); c.Close() })
		}
		maxPending := 0
		for i := range events {
			h.Publish(stateEvent(fmt.Sprintf("sensor.s%d", i%7), fmt.Sprint(i)))
			if p := stalled.q.pending(); p > maxPending {
				maxPending = p
			}
			if (i+1)%burst == 0 {
				synctest.Wait() // the readers write what they were given; the stalled one does not
			}
		}
		synctest.Wait()
		select {
		case <-stalled.Done():
		default:
			t.Fatal("the stalled client was never dropped")
		}
		if !errors.Is(stalled.Err(), ErrSlowConsumer) {
			t.Errorf("stalled client ended with %v, want ErrSlowConsumer", stalled.Err())
		}
		if maxPending > bound {
			t.Errorf("stalled client's queue reached %d bytes, over its bound %d", maxPending, bound)
		}
		for i, o := range outs {
			if got := o.events.Load(); got != events {
				t.Errorf("reader %d got %d events, want %d", i, got, events)
			}
		}
		if h.Dropped() != 1 {
			t.Errorf("Dropped() = %d, want 1: only the stalled client", h.Dropped())
		}
		cancel()
		wg.Wait()
	})
}

// BenchmarkFanoutLatency measures how long one event takes to reach 999 reading clients, with
// and without one more client that reads nothing (SPEC.md §4.7: a slow client hurts no other).
func BenchmarkFanoutLatency(b *testing.B) {
	for _, stalled := range []int{0, 1} {
		b.Run(fmt.Sprintf("readers=999/stalled=%d", stalled), func(b *testing.B) {
			h, err := New(Config{MaxClients: 1000, MaxClientsPerUser: 1000, QueueBytes: 64 << 10}, discardLog())
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var run sync.WaitGroup
			run.Go(func() { _ = h.Run(ctx) })
			if stalled == 1 {
				if _, err := h.Subscribe(ctx, Subscription{ID: "stalled", User: "u"}); err != nil {
					b.Fatal(err)
				}
			}
			var pending sync.WaitGroup
			var measuring atomic.Bool
			measuring.Store(true)
			w := newWriter(b, writer.Config{})
			for i := range 999 {
				c, err := h.Subscribe(ctx, Subscription{ID: fmt.Sprint(i), User: "u"})
				if err != nil {
					b.Fatal(err)
				}
				out := &countingOutput{}
				out.flushed = func() {
					if measuring.Load() { // not the last words after cancel
						pending.Done()
					}
				}
				run.Go(func() { _ = w.Stream(ctx, c, out) })
			}
			ev := func(i int) *hass.Event { return stateEvent("sensor.s", fmt.Sprint(i)) }
			i := 0
			for b.Loop() {
				pending.Add(999)
				h.Publish(ev(i))
				pending.Wait()
				i++
			}
			measuring.Store(false)
			cancel()
			run.Wait()
		})
	}
}

// TestOneBigEventReachesAClientThatKeepsUp: the byte bound is on the backlog, so one event larger
// than the bound still goes to an idle client instead of dropping it.
func TestOneBigEventReachesAClientThatKeepsUp(t *testing.T) {
	h := startHub(t, Config{QueueBytes: 4 << 10})
	c, err := h.Subscribe(context.Background(), Subscription{ID: "c", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := stream(t, c)
	big := stateEvent("weather.home", "sunny")
	big.NewState = []byte(`{"entity_id":"weather.home","state":"sunny","attributes":{"forecast":"` + strings.Repeat("x", 6000) + `"}}`)
	h.Publish(big)
	if got := ids(<-rec.Flushes); len(got) != 1 || c.Err() != nil {
		t.Errorf("a 6 KB event to a 4 KiB client: ids %v, Err %v; want it delivered", got, c.Err())
	}
}

// TestDroppedQueueIsUndelivered drops a client that reads nothing and checks that the meter is
// told of every event it never got: those queued when it was dropped and the one that did not
// fit; none after, as the client is gone by then.
func TestDroppedQueueIsUndelivered(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		meter := &meterRecorder{}
		h := startHub(t, Config{Meter: meter, QueueBytes: 4 << 10})
		c, err := h.Subscribe(context.Background(), Subscription{ID: "stalled", User: "u"})
		if err != nil {
			t.Fatal(err)
		}
		queued := 0
		for i := 0; c.Err() == nil; i++ {
			if i == 1000 {
				t.Fatal("the client was never dropped")
			}
			queued = c.QueuedEvents()
			h.Publish(stateEvent("light.a", fmt.Sprint(i)))
			synctest.Wait() // the hub has dispatched it
		}
		for range 5 {
			h.Publish(stateEvent("light.a", "after"))
		}
		synctest.Wait()
		meter.mu.Lock()
		defer meter.mu.Unlock()
		if queued == 0 || meter.undelivered != queued+1 {
			t.Errorf("meter told of %d undelivered events; %d were queued when the next did not fit", meter.undelivered, queued)
		}
	})
}
