package cluster

import (
	"context"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/testredis"
)

// BenchmarkStream measures the multi-instance path on a real redis-server: events handed to the
// leader's publisher (fenced XADD with the state in the hash, batched) until the reader (XREAD
// BLOCK on its own connection) hands them to the hub. burst publishes 1,000 events at once per
// op: its events/s is the throughput. one publishes a single event and waits for it: its
// p99-ms is the latency Redis adds to every event.
//
//	go test -run '^$' -bench Stream -benchtime 200x ./internal/cluster
func BenchmarkStream(b *testing.B) {
	for _, bc := range []struct {
		name  string
		batch int
	}{{"burst", 1000}, {"one", 1}} {
		b.Run(bc.name, func(b *testing.B) {
			r := testredis.Start(b)
			m := &measuringHub{arrived: make(chan struct{}, 1)}
			sink := runLeader(b, Config{URL: r.URL(), Instance: "bench", MaxLen: 10000}, m)
			ev := benchEvent()
			m.expect(1) // a first event: the session's failover mark goes with it
			sink.Publish(ev.clone())
			m.wait()
			m.reset()
			b.ReportAllocs()
			start := time.Now()
			for b.Loop() {
				m.expect(bc.batch)
				for range bc.batch {
					e := ev.clone()
					e.Received = time.Now()
					sink.Publish(e)
				}
				m.wait()
			}
			b.ReportMetric(float64(b.N*bc.batch)/time.Since(start).Seconds(), "events/s")
			b.ReportMetric(m.quantile(0.5), "p50-ms")
			b.ReportMetric(m.quantile(0.99), "p99-ms")
		})
	}
}

// BenchmarkTakeoverAfterCrash measures how long after a crashed leader's lease runs out another
// instance leads: the lease is left in Redis as a leader killed with SIGKILL leaves it, and an
// instance starts beside it. ms-past-lease is the time from the lease's end to the ingest's
// start (SPEC.md §7: within the lease time). A timing, so a benchmark rather than a test.
//
//	go test -run '^$' -bench TakeoverAfterCrash -benchtime 5x ./internal/cluster
func BenchmarkTakeoverAfterCrash(b *testing.B) {
	r := testredis.Start(b)
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	cfg := testConfig(r.URL(), "successor")
	var past []float64
	for b.Loop() {
		if err := rdb.Set(context.Background(), "hasse:leader", "crashed", cfg.Lease).Err(); err != nil {
			b.Fatal(err)
		}
		crashed := time.Now()
		n, err := New(cfg, testLog())
		if err != nil {
			b.Fatal(err)
		}
		led := make(chan time.Time, 1)
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() {
			defer close(done)
			_ = n.Run(ctx, Local{Hub: &measuringHub{}, Ingest: func(ctx context.Context, _ Sink) error {
				led <- time.Now()
				<-ctx.Done()
				return nil
			}})
		}()
		past = append(past, float64((<-led).Sub(crashed)-cfg.Lease)/float64(time.Millisecond))
		cancel() // it gives the lease up
		<-done
	}
	slices.Sort(past)
	b.ReportMetric(past[len(past)/2], "p50-ms-past-lease")
	b.ReportMetric(past[len(past)-1], "max-ms-past-lease")
}

type benchState struct{ *hass.Event }

func (e benchState) clone() *hass.Event { c := *e.Event; return &c }

// benchEvent is a state_changed of about 1.5 KB, the size of a real light's.
func benchEvent() benchState {
	attrs := `{"supported_color_modes":["color_temp","xy"],"color_mode":"color_temp","brightness":180,"color_temp_kelvin":3000,"min_color_temp_kelvin":2202,"max_color_temp_kelvin":6535,"xy_color":[0.459,0.41],"friendly_name":"Living room ceiling","supported_features":44}`
	st := func(s string) hass.State {
		return hass.State{EntityID: "light.living_room", Domain: "light", State: s,
			JSON: []byte(`{"entity_id":"light.living_room","state":"` + s + `","attributes":` + attrs +
				`,"last_changed":"2025-03-14T09:31:40.120567+00:00","last_reported":"2025-03-14T09:31:40.120567+00:00","last_updated":"2025-03-14T09:31:40.120567+00:00","context":{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":null}}`)}
	}
	ev := hass.Resync(st("off"), st("on"), time.Now())
	ev.Origin = "LOCAL"
	return benchState{ev}
}

// measuringHub counts the events the reader hands it and how long after their publishing.
type measuringHub struct {
	mu        sync.Mutex
	want, got int
	latencies []float64 // ms
	arrived   chan struct{}
}

func (m *measuringHub) expect(n int) {
	m.mu.Lock()
	m.want, m.got = n, 0
	m.mu.Unlock()
}

func (m *measuringHub) wait() { <-m.arrived }

func (m *measuringHub) reset() {
	m.mu.Lock()
	m.latencies = m.latencies[:0]
	m.mu.Unlock()
}

func (m *measuringHub) quantile(q float64) float64 {
	m.mu.Lock()
	defer m.mu.Unlock()
	if len(m.latencies) == 0 {
		return 0
	}
	s := slices.Clone(m.latencies)
	slices.Sort(s)
	return s[int(q*float64(len(s)-1))]
}

func (m *measuringHub) Reset(string, format.Gap, []hass.State) {}
func (m *measuringHub) Gap(string, format.Gap)                 {}

// Publish measures the stream's events, which come with ids; the leader's local delivery, used
// only while Redis cannot be written, has none and is not measured.
func (m *measuringHub) Publish(ev *hass.Event) {
	if ev.ID == "" {
		return
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	if !ev.Received.IsZero() {
		m.latencies = append(m.latencies, float64(time.Since(ev.Received))/float64(time.Millisecond))
	}
	if m.got++; m.got == m.want {
		m.arrived <- struct{}{}
	}
}

func (m *measuringHub) Connected([]hass.State) {}
func (m *measuringHub) Disconnected()          {}
