package writer

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"go.uber.org/goleak"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/hub"
	"hasse/internal/ssetest"
)

// The tests of the goroutine path (Writer.Stream), beside a real hub.

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startHub runs a hub until the test ends.
func startHub(t *testing.T, cfg hub.Config) *hub.Hub {
	t.Helper()
	h, err := hub.New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func newWriter(t testing.TB, cfg Config) *Writer {
	t.Helper()
	w, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// streamWith has a writer set up by cfg write c into a recorder, on a goroutine of its own,
// until the test ends or the stream does.
func streamWith(t *testing.T, c *hub.Client, cfg Config) (*ssetest.Recorder, <-chan error) {
	t.Helper()
	w := newWriter(t, cfg)
	rec := ssetest.NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Stream(ctx, c, rec); c.Close() }()
	t.Cleanup(cancel)
	return rec, errc
}

// meterRecorder is a hub.Meter that keeps what it is told.
type meterRecorder struct {
	mu          sync.Mutex
	undelivered int
}

func (m *meterRecorder) Wrote(int)                        {}
func (m *meterRecorder) Delivered(time.Time, []time.Time) {}
func (m *meterRecorder) Undelivered(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.undelivered += n
}

func stateEvent(entity, state string) *hass.Event {
	domain, _, _ := strings.Cut(entity, ".")
	return &hass.Event{
		Type: hass.TypeStateChanged, EntityID: entity, Domain: domain, Entities: []string{entity},
		State: state, StateChanged: true, TimeFired: "2025-03-14T09:31:40.120567+00:00",
		Data:     []byte(`{"entity_id":"` + entity + `","new_state":{"entity_id":"` + entity + `","state":"` + state + `"}}`),
		NewState: []byte(`{"entity_id":"` + entity + `","state":"` + state + `"}`),
		Received: time.Now(),
	}
}

// blockingOutput accepts no bytes: each write waits for its deadline and fails, as a socket to a
// client that stopped reading does.
type blockingOutput struct{ deadline time.Time }

func (o *blockingOutput) Write(p []byte) (int, error) {
	time.Sleep(time.Until(o.deadline))
	return 0, errors.New("i/o timeout")
}
func (o *blockingOutput) Flush() error                       { return nil }
func (o *blockingOutput) SetWriteDeadline(t time.Time) error { o.deadline = t; return nil }

func TestInactiveClientIsClosedAfterTheTimeout(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHub(t, hub.Config{})
		w := newWriter(t, Config{WriteTimeout: 5 * time.Minute, KeepAlive: time.Hour})
		c, err := h.Subscribe(context.Background(), hub.Subscription{ID: "a", User: "u"})
		if err != nil {
			t.Fatal(err)
		}
		errc := make(chan error, 1)
		go func() { errc <- w.Stream(context.Background(), c, &blockingOutput{}); c.Close() }()
		time.Sleep(time.Minute)
		start := time.Now()
		h.Publish(stateEvent("light.a", "on"))
		if err := <-errc; err == nil || time.Since(start) != 5*time.Minute {
			t.Errorf("Stream ended with %v after %v, want an error 5m after data began to wait", err, time.Since(start))
		}
		synctest.Wait()
		if h.Clients() != 0 {
			t.Errorf("Clients() = %d after the stream ended, want 0", h.Clients())
		}
	})
}

// stuckOutput is a connection whose peer reads nothing: a write blocks until its deadline passes.
type stuckOutput struct {
	mu       sync.Mutex
	deadline time.Time
	moved    chan struct{} // closed and renewed whenever the deadline changes
	writing  chan struct{} // closed once a write has blocked
	once     sync.Once
}

func newStuckOutput() *stuckOutput {
	return &stuckOutput{moved: make(chan struct{}), writing: make(chan struct{})}
}

func (o *stuckOutput) Write(p []byte) (int, error) {
	o.once.Do(func() { close(o.writing) })
	for {
		o.mu.Lock()
		d, moved := o.deadline, o.moved
		o.mu.Unlock()
		if !d.IsZero() && !time.Now().Before(d) {
			return 0, errors.New("i/o timeout")
		}
		select {
		case <-moved:
		case <-time.After(time.Until(d)):
		}
	}
}
func (o *stuckOutput) Flush() error { return nil }
func (o *stuckOutput) SetWriteDeadline(d time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.deadline = d
	close(o.moved)
	o.moved = make(chan struct{})
	return nil
}

// TestDroppedClientsWriteIsAborted: a client dropped while its stream is blocked in a write is
// freed at once, not after the write timeout.
func TestDroppedClientsWriteIsAborted(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHub(t, hub.Config{QueueBytes: 4 << 10})
		w := newWriter(t, Config{WriteTimeout: time.Hour})
		c, err := h.Subscribe(context.Background(), hub.Subscription{ID: "stuck", User: "u"})
		if err != nil {
			t.Fatal(err)
		}
		out := newStuckOutput()
		done := make(chan error)
		go func() { done <- w.Stream(context.Background(), c, out); c.Close() }()
		h.Publish(stateEvent("sensor.a", "0"))
		<-out.writing
		start := time.Now()
		for i := 1; c.Err() == nil; i++ { // until the queue overflows
			h.Publish(stateEvent("sensor.a", strings.Repeat("x", 512)+fmt.Sprint(i)))
			synctest.Wait()
		}
		<-done
		if waited := time.Since(start); waited > time.Minute {
			t.Errorf("the dropped client's stream ended after %v, want at once", waited)
		}
	})
}

func TestKeepAliveWhenQuiet(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHub(t, hub.Config{})
		c, err := h.Subscribe(context.Background(), hub.Subscription{ID: "a", User: "u", Format: format.Named})
		if err != nil {
			t.Fatal(err)
		}
		start := time.Now()
		rec, _ := streamWith(t, c, Config{KeepAlive: 30 * time.Second})
		chunk := <-rec.Flushes
		if got := time.Since(start); got != 30*time.Second || !strings.HasPrefix(chunk, ": keepalive ") {
			t.Errorf("first write %q after %v, want a keep-alive after 30s", chunk, got)
		}
		time.Sleep(20 * time.Second)
		h.Publish(stateEvent("light.a", "on"))
		<-rec.Flushes // the event resets the timer
		start = time.Now()
		if chunk := <-rec.Flushes; time.Since(start) != 30*time.Second || !strings.HasPrefix(chunk, ": keepalive ") {
			t.Errorf("after an event, next write %q came %v later, want a keep-alive 30s later", chunk, time.Since(start))
		}
	})
}

func TestStreamEndsOnWriteError(t *testing.T) {
	meter := &meterRecorder{}
	h := startHub(t, hub.Config{Meter: meter})
	c, err := h.Subscribe(context.Background(), hub.Subscription{ID: "a", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec := ssetest.NewRecorder()
	rec.FailAt = 1
	errc := make(chan error, 1)
	w := newWriter(t, Config{})
	go func() { errc <- w.Stream(context.Background(), c, rec); c.Close() }()
	h.Publish(stateEvent("light.a", "on"))
	<-rec.Flushes
	h.Publish(stateEvent("light.a", "off"))
	if err := <-errc; err == nil {
		t.Error("Stream on a broken connection returned nil")
	}
	meter.mu.Lock()
	defer meter.mu.Unlock()
	if meter.undelivered != 1 {
		t.Errorf("meter told of %d undelivered events, want 1: the event of the failed write", meter.undelivered)
	}
}
