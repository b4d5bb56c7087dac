package stats

import (
	"context"
	"fmt"
	"log/slog"
	"runtime"
	"sync"
	"testing"
	"time"

	"hasse/internal/hass"
	"hasse/internal/hub"
	"hasse/internal/writer"
)

// BenchmarkDispatchDeliver measures one event dispatched by a running hub to 100 streaming
// clients and flushed by each (whose writes cost nothing: the worst case for the meter's share),
// with the statistics meter off and on (SPEC.md §6: counting must not add a lock or an
// allocation per delivery). Compare, interleaving the two, with
// go test -c -o stats.test ./internal/stats &&
// for i in $(seq 10); do ./stats.test -test.run '^$' -test.bench DispatchDeliver; done | benchstat -col /meter -
func BenchmarkDispatchDeliver(b *testing.B) {
	const clients, batch = 100, 64
	for _, on := range []bool{false, true} {
		b.Run(fmt.Sprintf("meter=%v", map[bool]string{false: "off", true: "on"}[on]), func(b *testing.B) {
			cfg := hub.Config{MaxClients: clients, MaxClientsPerUser: clients, QueueBytes: 64 << 20, ReplaySize: -1}
			if on {
				cfg.Meter = new(Meter)
			}
			h, err := hub.New(cfg, slog.New(slog.DiscardHandler))
			if err != nil {
				b.Fatal(err)
			}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { _ = h.Run(ctx) })
			var subs []*hub.Client
			for i := range clients {
				cl, err := h.Subscribe(ctx, hub.Subscription{ID: fmt.Sprint(i), User: "u"})
				if err != nil {
					b.Fatal(err)
				}
				subs = append(subs, cl)
				wg.Go(func() { _ = writer.Stream(ctx, cl, nowhere{}); cl.Close() })
			}
			delivered := func(n int64) { // waits until every client has flushed n events
				for _, cl := range subs {
					for cl.EventsSent() < n {
						runtime.Gosched()
					}
				}
			}
			b.ReportAllocs()
			var n int64
			cpu0 := cpuTime()
			for b.Loop() {
				h.Publish(benchEvent())
				if n++; n%batch == 0 {
					delivered(n)
				}
			}
			delivered(n)
			// CPU time per event (all goroutines): less disturbed than wall time by other load
			b.ReportMetric(float64(cpuTime()-cpu0)/float64(n), "cpu-ns/op")
			cancel()
			wg.Wait()
		})
	}
}

func benchEvent() *hass.Event {
	return &hass.Event{
		Type: hass.TypeStateChanged, EntityID: "sensor.power", Domain: "sensor", Entities: []string{"sensor.power"},
		State: "231.5", StateChanged: true, TimeFired: "2025-03-14T09:31:40.120567+00:00",
		Data:     []byte(`{"entity_id":"sensor.power","old_state":null,"new_state":{"entity_id":"sensor.power","state":"231.5"}}`),
		NewState: []byte(`{"entity_id":"sensor.power","state":"231.5"}`),
		Context:  []byte(`{"id":"x","parent_id":null,"user_id":null}`),
		Received: time.Now(),
	}
}

// BenchmarkMeterWrote measures what counting one write's bytes costs each writer, with every
// core writing at once: an atomic add on a counter picked at random, no lock, no allocation.
func BenchmarkMeterWrote(b *testing.B) {
	m := new(Meter)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			m.Wrote(1500)
		}
	})
	if m.bytesSent() != int64(b.N)*1500 {
		b.Fatalf("counted %d bytes, want %d", m.bytesSent(), int64(b.N)*1500)
	}
}
