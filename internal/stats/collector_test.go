package stats

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/hass"
	"hasse/internal/hub"
	"hasse/internal/writer"
)

// rig is a running hub and collector inside a synctest bubble.
type rig struct {
	t      *testing.T
	hub    *hub.Hub
	c      *Collector
	cancel context.CancelFunc
	wg     sync.WaitGroup
}

func newRig(t *testing.T, cfg Config, hcfg hub.Config) *rig {
	t.Helper()
	return newRigLog(t, cfg, hcfg, slog.New(slog.DiscardHandler))
}

func newRigLog(t *testing.T, cfg Config, hcfg hub.Config, log *slog.Logger) *rig {
	t.Helper()
	hcfg.MaxClients, hcfg.MaxClientsPerUser = cmp.Or(hcfg.MaxClients, 1000), cmp.Or(hcfg.MaxClientsPerUser, 1000)
	m := new(Meter)
	var c *Collector
	hcfg.Meter, hcfg.OnClose = m, func(cl *hub.Client) { c.Unregistered(cl) }
	h, err := hub.New(hcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	c, err = New(cfg, h, m, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{t: t, hub: h, c: c, cancel: cancel}
	r.wg.Go(func() { _ = h.Run(ctx) })
	r.wg.Go(func() { _ = c.Run(ctx) })
	return r
}

// stop ends the hub, the collector and every stream, and waits for them.
func (r *rig) stop() {
	r.cancel()
	r.wg.Wait()
}

// open subscribes a client and streams it to nowhere; cancel ends the stream as a client
// going away would, and Close unregisters it.
func (r *rig) open(id string) (*hub.Client, context.CancelFunc) {
	r.t.Helper()
	cl, err := r.hub.Subscribe(context.Background(), hub.Subscription{ID: id, ClientID: "label_" + id, User: "u", RemoteAddr: "192.0.2.7", UserAgent: "test"})
	if err != nil {
		r.t.Fatal(err)
	}
	r.c.Notice() // as the HTTP handler does once the stream is open
	ctx, cancel := context.WithCancel(context.Background())
	r.wg.Go(func() {
		_ = writer.Stream(ctx, cl, nowhere{})
		cl.Close()
		r.c.Notice()
	})
	return cl, cancel
}

// publish sends n state_changed events read from Home Assistant age ago.
func (r *rig) publish(n int, age time.Duration) {
	for range n {
		r.hub.Publish(&hass.Event{
			Type: hass.TypeStateChanged, EntityID: "light.a", Domain: "light", Entities: []string{"light.a"},
			State: "on", StateChanged: true, TimeFired: "2025-03-14T09:31:40.120567+00:00",
			Data:     []byte(`{"entity_id":"light.a","old_state":null,"new_state":{"entity_id":"light.a","state":"on"}}`),
			NewState: []byte(`{"entity_id":"light.a","state":"on"}`),
			Context:  []byte(`{"id":"x","parent_id":null,"user_id":null}`),
			Received: time.Now().Add(-age),
		})
	}
}

type nowhere struct{}

func (nowhere) Write(p []byte) (int, error)        { return len(p), nil }
func (nowhere) Flush() error                       { return nil }
func (nowhere) SetWriteDeadline(t time.Time) error { return nil }

func TestCollectorSamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, Config{Interval: 10 * time.Second, MaxClients: 1000}, hub.Config{})
		defer r.stop()
		_, leave := r.open("conn_a")
		r.open("conn_b")
		r.open("conn_c")
		r.publish(30, 5*time.Millisecond)
		time.Sleep(10 * time.Second) // one sample
		synctest.Wait()

		st := r.c.Stats(context.Background())
		if st.ActiveConnections != 3 || st.TotalEventsSent != 90 || st.EventsPerSecond != 9 || st.EventsReceived != 30 {
			t.Errorf("Stats = %d connections, %d sent, %v/s, %d received; want 3, 90, 9, 30",
				st.ActiveConnections, st.TotalEventsSent, st.EventsPerSecond, st.EventsReceived)
		}
		if p := st.Latency.P50; p < 4 || p > 6 {
			t.Errorf("latency p50 = %v ms, want about 5", p)
		}
		if st.Uptime != "PT10S" {
			t.Errorf("uptime = %q, want PT10S", st.Uptime)
		}

		leave() // the client goes away
		synctest.Wait()
		time.Sleep(time.Second) // well past the reconcile gap
		if !r.hub.Disconnect(context.Background(), "conn_b") {
			t.Fatal("Disconnect(conn_b) = false")
		}
		synctest.Wait()
		time.Sleep(time.Second)
		rep, err := r.c.History(context.Background(), "1h", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(rep.ClosedConnections) != 2 {
			t.Fatalf("closed connections = %+v, want 2", rep.ClosedConnections)
		}
		for i, want := range []struct {
			id, reason string
		}{{"conn_b", ReasonClosedByAdmin}, {"conn_a", ReasonClientClosed}} {
			got := rep.ClosedConnections[i]
			if got.ID != want.id || got.Reason != want.reason || got.EventsSent != 30 || got.IPAddress != "192.0.2.7" {
				t.Errorf("closed[%d] = %+v, want %s closed as %s after 30 events", i, got, want.id, want.reason)
			}
		}
		if d := rep.ClosedConnections[1].Duration; d < 10 || d > 11.5 {
			t.Errorf("conn_a lasted %vs, want about 10", d)
		}

		time.Sleep(10 * time.Second) // a second sample: 1 connection, no events
		synctest.Wait()
		m, err := r.c.Metrics(context.Background(), "1h")
		if err != nil {
			t.Fatal(err)
		}
		b := m.Metrics
		if b.Connections.Current != 1 || b.Connections.Max != 3 || b.Connections.Average != 2 || b.Connections.Limit != 1000 {
			t.Errorf("connections = %+v, want current 1, max 3, average 2, limit 1000", b.Connections)
		}
		if b.Events.Total != 90 || b.Events.Rate.Max != 9 || b.Events.Rate.Current != 0 || b.Events.Rate.Average != 4.5 {
			t.Errorf("events = %+v, want total 90, rate max 9, current 0, average 4.5", b.Events)
		}
		if p := b.Latency.P99; p < 4 || p > 6 {
			t.Errorf("latency p99 = %v ms, want about 5", p)
		}
		if len(rep.Series) != 1 || rep.Series[0].EventsPerSecond != 9 {
			t.Errorf("series = %+v, want one point at 9 events/s", rep.Series)
		}
		if _, err := r.c.Metrics(context.Background(), "2h"); !errors.Is(err, ErrPeriod) {
			t.Errorf("Metrics(2h) error = %v, want ErrPeriod", err)
		}
	})
}

// TestPeakBetweenSamples: connections that open and close between two samples still count in
// the period's peak.
func TestPeakBetweenSamples(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, Config{Interval: 10 * time.Second}, hub.Config{})
		defer r.stop()
		var leave []context.CancelFunc
		for i := range 4 {
			_, l := r.open(fmt.Sprint("conn_", i))
			leave = append(leave, l)
			time.Sleep(time.Second) // each open is noticed
		}
		for _, l := range leave {
			l()
		}
		time.Sleep(10 * time.Second)
		m, err := r.c.Metrics(context.Background(), "1h")
		if err != nil {
			t.Fatal(err)
		}
		if c := m.Metrics.Connections; c.Max != 4 || c.Current != 0 {
			t.Errorf("connections = %+v, want a peak of 4 and none now", c)
		}
	})
}

// TestEveryClosedConnectionIsRecorded: connections that open and close between two looks at the
// hub, unnoticed, are recorded all the same, with their reasons.
func TestEveryClosedConnectionIsRecorded(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, Config{Interval: 10 * time.Second, ReconcileGap: time.Hour}, hub.Config{})
		defer r.stop()
		for i := range 5 {
			cl, err := r.hub.Subscribe(context.Background(), hub.Subscription{ID: fmt.Sprint("brief_", i), User: "u"})
			if err != nil {
				t.Fatal(err)
			}
			cl.Close() // gone before anyone looked
		}
		_, leave := r.open("kicked")
		synctest.Wait()
		if !r.hub.Disconnect(context.Background(), "kicked") {
			t.Fatal("no client kicked")
		}
		leave()
		time.Sleep(10 * time.Second) // a sample: the collector looks
		h, err := r.c.History(context.Background(), "1h", 100)
		if err != nil {
			t.Fatal(err)
		}
		reasons := map[string]int{}
		for _, c := range h.ClosedConnections {
			reasons[c.Reason]++
		}
		if want := map[string]int{"client_closed": 5, "closed_by_admin": 1}; !maps.Equal(reasons, want) {
			t.Errorf("closed connections by reason = %v, want %v", reasons, want)
		}
	})
}
