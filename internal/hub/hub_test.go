package hub

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"go.uber.org/goleak"

	"hasse/internal/filter"
	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/ssetest"
	"hasse/internal/writer"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// startHub runs a hub until the test ends.
func startHub(t *testing.T, cfg Config) *Hub {
	t.Helper()
	h, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	return h
}

func mustFilter(t testing.TB, query string) *filter.Filter {
	t.Helper()
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatal(err)
	}
	f, err := filter.Parse(v)
	if err != nil {
		t.Fatalf("filter.Parse(%q): %v", query, err)
	}
	return f
}

func stateEvent(entity, state string) *hass.Event {
	domain, _, _ := strings.Cut(entity, ".")
	return &hass.Event{
		Type: hass.TypeStateChanged, EntityID: entity, Domain: domain, Entities: []string{entity},
		State: state, StateChanged: true, TimeFired: "2025-03-14T09:31:40.120567+00:00",
		Data:     []byte(`{"entity_id":"` + entity + `","old_state":null,"new_state":{"entity_id":"` + entity + `","state":"` + state + `"}}`),
		NewState: []byte(`{"entity_id":"` + entity + `","state":"` + state + `"}`),
		Context:  []byte(`{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":null}`),
	}
}

// newWriter returns a writer of streams (package writer) set up by cfg.
func newWriter(t testing.TB, cfg writer.Config) *writer.Writer {
	t.Helper()
	w, err := writer.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return w
}

// stream has a writer's goroutine write c into a recorder until the test ends or the stream does.
func stream(t *testing.T, c *Client) (*ssetest.Recorder, <-chan error) {
	t.Helper()
	return streamWith(t, c, writer.Config{})
}

// streamWith is stream with a writer set up by cfg.
func streamWith(t *testing.T, c *Client, cfg writer.Config) (*ssetest.Recorder, <-chan error) {
	t.Helper()
	w := newWriter(t, cfg)
	rec := ssetest.NewRecorder()
	ctx, cancel := context.WithCancel(context.Background())
	errc := make(chan error, 1)
	go func() { errc <- w.Stream(ctx, c, rec); c.Close() }()
	t.Cleanup(cancel)
	return rec, errc
}

// ids returns the SSE ids in a chunk of stream.
func ids(chunk string) []string {
	var out []string
	for line := range strings.SplitSeq(chunk, "\n") {
		if id, ok := strings.CutPrefix(line, "id: "); ok {
			out = append(out, id)
		}
	}
	return out
}

func TestPublishReachesMatchingClients(t *testing.T) {
	h := startHub(t, Config{Epoch: "ep"})
	ctx := context.Background()
	lights, err := h.Subscribe(ctx, Subscription{ID: "a", User: "u", Filter: mustFilter(t, "domain=light")})
	if err != nil {
		t.Fatal(err)
	}
	kitchen, err := h.Subscribe(ctx, Subscription{ID: "b", User: "u", Filter: mustFilter(t, "entity_id=sensor.kitchen_*"), Format: format.Named})
	if err != nil {
		t.Fatal(err)
	}
	lightRec, _ := stream(t, lights)
	kitchenRec, _ := stream(t, kitchen)

	h.Publish(stateEvent("light.hall", "on"))           // ep-1: lights
	h.Publish(stateEvent("sensor.kitchen_temp", "21"))  // ep-2: kitchen
	h.Publish(stateEvent("sensor.bathroom_temp", "22")) // ep-3: nobody
	h.Publish(stateEvent("light.hall", "off"))          // ep-4: lights

	var got []string
	for len(got) < 2 {
		got = append(got, ids(<-lightRec.Flushes)...)
	}
	if want := []string{"ep-1", "ep-4"}; !slicesEqual(got, want) {
		t.Errorf("light client got ids %v, want %v", got, want)
	}
	chunk := <-kitchenRec.Flushes
	if got := ids(chunk); !slicesEqual(got, []string{"ep-2"}) {
		t.Errorf("kitchen client got ids %v, want [ep-2]", got)
	}
	if !strings.Contains(chunk, "event: state_changed\n") {
		t.Errorf("named client's frame has no event line: %q", chunk)
	}
}

func slicesEqual(a, b []string) bool {
	return strings.Join(a, ",") == strings.Join(b, ",")
}

func TestSlowConsumerIsDroppedOthersServed(t *testing.T) {
	h := startHub(t, Config{QueueBytes: 4 << 10})
	ctx := context.Background()
	slow, err := h.Subscribe(ctx, Subscription{ID: "slow", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	fast, err := h.Subscribe(ctx, Subscription{ID: "fast", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := stream(t, fast)
	const n = 50 // about 300 bytes each: well over the slow client's 4 KiB
	got := 0
	for i := range n {
		h.Publish(stateEvent("light.l"+strconv.Itoa(i), "on"))
		for got <= i { // the fast client reads each event before the next is published
			got += len(ids(<-rec.Flushes))
		}
	}
	<-slow.Done()
	if !errors.Is(slow.Err(), ErrSlowConsumer) {
		t.Errorf("slow client ended with %v, want ErrSlowConsumer", slow.Err())
	}
	if got != n {
		t.Errorf("fast client got %d events, want %d", got, n)
	}
	if h.Dropped() != 1 {
		t.Errorf("Dropped() = %d, want 1", h.Dropped())
	}

	// The slow client's stream, started late, writes the slow_consumer error and ends.
	slowRec, errc := stream(t, slow)
	if err := <-errc; err != nil {
		t.Errorf("slow client's Stream = %v, want nil", err)
	}
	if chunk := <-slowRec.Flushes; !strings.Contains(chunk, `"error":"slow_consumer"`) {
		t.Errorf("slow client's last write = %q, want a slow_consumer error", chunk)
	}
}

func TestConnectionLimits(t *testing.T) {
	h := startHub(t, Config{MaxClients: 3, MaxClientsPerUser: 2})
	ctx := context.Background()
	sub := func(id, user string, max int) (*Client, error) {
		return h.Subscribe(ctx, Subscription{ID: id, User: user, MaxConnections: max})
	}
	a1, err := sub("1", "a", 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := sub("2", "a", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := sub("3", "a", 0); !errors.Is(err, ErrUserFull) {
		t.Errorf("third stream of user a: %v, want ErrUserFull", err)
	}
	if _, err := sub("4", "b", 0); err != nil {
		t.Fatal(err)
	}
	if _, err := sub("5", "c", 0); !errors.Is(err, ErrFull) {
		t.Errorf("fourth stream in all: %v, want ErrFull", err)
	}
	a1.Close()
	if _, err := sub("6", "a", 0); err != nil {
		t.Errorf("after a close, user a's stream: %v, want a place", err)
	}
	if got := h.Clients(); got != 3 {
		t.Errorf("Clients() = %d, want 3", got)
	}
}

func TestTokenLimitOverridesUserLimit(t *testing.T) {
	h := startHub(t, Config{MaxClientsPerUser: 5})
	for i := range 2 {
		if _, err := h.Subscribe(context.Background(), Subscription{ID: strconv.Itoa(i), User: "wall", MaxConnections: 2}); err != nil {
			t.Fatal(err)
		}
	}
	if _, err := h.Subscribe(context.Background(), Subscription{ID: "x", User: "wall", MaxConnections: 2}); !errors.Is(err, ErrUserFull) {
		t.Errorf("third stream of a token limited to 2: %v, want ErrUserFull", err)
	}
}

func TestShutdownEndsStreamsAfterFlushing(t *testing.T) {
	h, err := New(Config{Epoch: "e"}, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = h.Run(ctx); close(done) }()
	c, err := h.Subscribe(context.Background(), Subscription{ID: "a", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	h.Publish(stateEvent("light.a", "on"))
	cancel()
	<-done
	rec, errc := stream(t, c) // streams only after the hub stopped: the queued event must still go out
	if err := <-errc; err != nil {
		t.Errorf("Stream after shutdown = %v, want nil", err)
	}
	if !errors.Is(c.Err(), ErrShutdown) {
		t.Errorf("Err() = %v, want ErrShutdown", c.Err())
	}
	last := <-rec.Flushes
	if got := ids(last); !slicesEqual(got, []string{"e-1"}) {
		t.Errorf("last write carried ids %v, want [e-1]", got)
	}
	retry, bye := strings.Index(last, "\nretry: "), strings.Index(last, `"type":"disconnect","reason":"server_shutdown"`)
	if retry < 0 || bye < retry {
		t.Errorf("last write %q: want the event, then a retry hint and a server_shutdown disconnect", last)
	}
	if _, err := h.Subscribe(context.Background(), Subscription{ID: "b"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Subscribe after shutdown = %v, want ErrClosed", err)
	}
	h.Publish(stateEvent("light.a", "off")) // must not block
}

func TestConfigRefuses(t *testing.T) {
	for _, cfg := range []Config{
		{MaxClients: -1}, {QueueBytes: -5}, {Epoch: "a-b"}, {Epoch: "a b"},
	} {
		if _, err := New(cfg, slog.New(slog.NewTextHandler(io.Discard, nil))); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
}

func discardLog() *slog.Logger { return slog.New(slog.DiscardHandler) }

// meterRecorder is a Meter that keeps what it is told.
type meterRecorder struct {
	mu          sync.Mutex
	latencies   []time.Duration
	bytes       int
	undelivered int
}

func (m *meterRecorder) Wrote(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.bytes += n
}

func (m *meterRecorder) Undelivered(n int) {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.undelivered += n
}

func (m *meterRecorder) Delivered(now time.Time, received []time.Time) {
	m.mu.Lock()
	defer m.mu.Unlock()
	for _, r := range received {
		m.latencies = append(m.latencies, now.Sub(r))
	}
}

func TestCountersListAndDisconnect(t *testing.T) {
	meter := &meterRecorder{}
	h := startHub(t, Config{Meter: meter})
	ctx := context.Background()
	a, err := h.Subscribe(ctx, Subscription{ID: "a", User: "u", RemoteAddr: "192.0.2.1", UserAgent: "curl/8", Protocol: "HTTP/2.0", TLS: "TLS 1.3"})
	if err != nil {
		t.Fatal(err)
	}
	b, err := h.Subscribe(ctx, Subscription{ID: "b", User: "u", Filter: mustFilter(t, "domain=switch")})
	if err != nil {
		t.Fatal(err)
	}
	rec, errc := stream(t, a)
	before := time.Now()
	for _, e := range []string{"light.a", "light.b"} {
		ev := stateEvent(e, "on")
		ev.Received = before
		h.Publish(ev)
	}
	for got := 0; got < 2; {
		got += len(ids(<-rec.Flushes))
	}
	list := h.List(ctx)
	if len(list) != 2 || list[0] != a || list[1] != b || list[0].RemoteAddr != "192.0.2.1" || list[0].UserAgent != "curl/8" ||
		list[0].Protocol != "HTTP/2.0" || list[0].TLS != "TLS 1.3" {
		t.Errorf("List = %v, want a then b with their address, agent and protocol", list)
	}
	if h.Disconnect(ctx, "nope") {
		t.Error("Disconnect of an unknown id reported true")
	}
	if a.Ended() {
		t.Error("a.Ended() before Disconnect, want false")
	}
	if !h.Disconnect(ctx, "a") {
		t.Error("Disconnect(a) = false")
	}
	if !a.Ended() || b.Ended() { // the hub has ended a by the time Disconnect returns
		t.Errorf("after Disconnect(a): a.Ended() %v, b.Ended() %v; want true, false", a.Ended(), b.Ended())
	}
	if err := <-errc; err != nil || !errors.Is(a.Err(), ErrClosedByAdmin) {
		t.Errorf("after Disconnect: Stream %v, Err %v; want nil, ErrClosedByAdmin", err, a.Err())
	}
	if last := <-rec.Flushes; !strings.Contains(last, `"type":"disconnect","reason":"closed_by_admin"`) {
		t.Errorf("last write %q, want a closed_by_admin disconnect", last)
	}
	// The writer counts just after a flush returns; once Stream has returned, it has counted all.
	if a.EventsSent() != 2 || a.LastEventAt().Before(before) || b.EventsSent() != 0 || !b.LastEventAt().IsZero() {
		t.Errorf("EventsSent a=%d b=%d, LastEventAt a=%v b=%v", a.EventsSent(), b.EventsSent(), a.LastEventAt(), b.LastEventAt())
	}
	meter.mu.Lock()
	if len(meter.latencies) != 2 || meter.latencies[0] < 0 {
		t.Errorf("meter saw latencies %v, want two", meter.latencies)
	}
	if written := rec.Written(); a.BytesSent() != int64(written) || meter.bytes != written || written == 0 {
		t.Errorf("BytesSent = %d, meter saw %d bytes; the output took %d", a.BytesSent(), meter.bytes, written)
	}
	meter.mu.Unlock()
	if got := h.List(ctx); len(got) != 1 || got[0] != b {
		t.Errorf("List after Disconnect = %v, want b", got)
	}
}
