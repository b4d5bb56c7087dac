package halink

import (
	"context"
	"log/slog"
	"net"
	"sync"
	"testing"
	"time"

	"hasse/internal/hass"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// waitLimit bounds every wait in these tests (on the fake clock in a synctest bubble);
// reaching it fails the test.
const waitLimit = time.Minute

// testHA is the simulator serving Home Assistant's API on a real TCP port.
type testHA struct {
	sim *simulator.Simulator
	url string // its base URL: http://127.0.0.1:port

	mu    sync.Mutex
	conns []net.Conn // every connection accepted, in order
	times []time.Time
}

// startHA starts a simulator with admin token "t", non-admin token "u" and no activity of its
// own, and a server for it; both stop when the test ends.
func startHA(t *testing.T) *testHA {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ha := &testHA{url: "http://" + ln.Addr().String()}
	ha.sim = simtest.Serve(t, simulator.Config{Token: "t", UserToken: "u", Seed: 1, Rate: -1}, watched{ln, ha})
	return ha
}

// watched is a listener that tells its testHA of every connection it accepts.
type watched struct {
	net.Listener
	ha *testHA
}

func (w watched) Accept() (net.Conn, error) {
	c, err := w.Listener.Accept()
	if err == nil {
		w.ha.mu.Lock()
		w.ha.conns, w.ha.times = append(w.ha.conns, c), append(w.ha.times, time.Now())
		w.ha.mu.Unlock()
	}
	return c, err
}

// drop closes every connection, as a Home Assistant restart or a network failure would.
func (ha *testHA) drop() {
	ha.mu.Lock()
	defer ha.mu.Unlock()
	for _, c := range ha.conns {
		_ = c.Close()
	}
}

// accepted returns when each connection was accepted.
func (ha *testHA) accepted() []time.Time {
	ha.mu.Lock()
	defer ha.mu.Unlock()
	return append([]time.Time(nil), ha.times...)
}

// startClient runs a Client for ha until the test ends, and returns it with the events it
// publishes. Zero fields of cfg other than URL and Token take the Client's defaults.
func startClient(t *testing.T, ha *testHA, cfg Config, log *slog.Logger) (*Client, <-chan *hass.Event) {
	t.Helper()
	if cfg.URL == "" {
		cfg.URL = ha.url
	}
	if cfg.Token == "" {
		cfg.Token = "t"
	}
	if cfg.Redact == nil {
		cfg.Redact = []string{"access_token", "token", "password", "api_key"}
	}
	c, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	return c, runClient(t, c)
}

// runClient runs c until the test ends, when Run must return nil, and returns the events it
// publishes.
func runClient(t *testing.T, c *Client) <-chan *hass.Event {
	t.Helper()
	events := make(chan *hass.Event, 10_000)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx, sinkFunc(func(ev *hass.Event) { events <- ev })) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil after cancel", err)
		}
	})
	return events
}

// waitStatus waits for the client's Status to satisfy ok, and returns it.
func waitStatus(t *testing.T, c *Client, what string, ok func(Status) bool) Status {
	t.Helper()
	limit := time.NewTimer(waitLimit)
	defer limit.Stop()
	for {
		st, changed := c.Watch()
		if ok(st) {
			return st
		}
		select {
		case <-changed:
		case <-limit.C:
			t.Fatalf("waiting for %s: status still %+v", what, st)
		}
	}
}

func connected(st Status) bool { return st.Connected }

// waitEvent returns the first event that satisfies ok, failing the test if none comes.
func waitEvent(t *testing.T, events <-chan *hass.Event, what string, ok func(*hass.Event) bool) *hass.Event {
	t.Helper()
	limit := time.NewTimer(waitLimit)
	defer limit.Stop()
	for {
		select {
		case ev := <-events:
			if ok(ev) {
				return ev
			}
		case <-limit.C:
			t.Fatalf("no event %s", what)
		}
	}
}

// entity matches the state_changed events of one entity.
func entity(id string) func(*hass.Event) bool {
	return func(ev *hass.Event) bool { return ev.Type == hass.TypeStateChanged && ev.EntityID == id }
}

// logRecorder keeps log records, for tests of what is logged.
type logRecorder struct {
	mu      sync.Mutex
	records []slog.Record
}

func (r *logRecorder) Enabled(context.Context, slog.Level) bool { return true }
func (r *logRecorder) WithAttrs([]slog.Attr) slog.Handler       { return r }
func (r *logRecorder) WithGroup(string) slog.Handler            { return r }

func (r *logRecorder) Handle(_ context.Context, rec slog.Record) error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.records = append(r.records, rec.Clone())
	return nil
}

// count returns how many records of level were logged.
func (r *logRecorder) count(level slog.Level) int {
	r.mu.Lock()
	defer r.mu.Unlock()
	n := 0
	for _, rec := range r.records {
		if rec.Level == level {
			n++
		}
	}
	return n
}

// sinkFunc is a Sink that passes events to a func and drops states.
type sinkFunc func(*hass.Event)

func (f sinkFunc) Publish(ev *hass.Event) { f(ev) }
func (sinkFunc) Connected([]hass.State)   {}
func (sinkFunc) Disconnected()            {}

// recordingSink hands everything the client delivers to one channel, in order.
type recordingSink struct {
	order chan any // *hass.Event, []hass.State, or disconnected{}
}

type disconnected struct{}

func (s recordingSink) Publish(ev *hass.Event)        { s.order <- ev }
func (s recordingSink) Connected(states []hass.State) { s.order <- states }
func (s recordingSink) Disconnected()                 { s.order <- disconnected{} }
