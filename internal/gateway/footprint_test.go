//go:build footprint

package gateway_test

import (
	"context"
	"io"
	"net/http"
	"os"
	"runtime"
	"runtime/metrics"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"hasse/internal/format"
	"hasse/internal/gateway"
	"hasse/internal/gateway/gatewaytest"
	"hasse/internal/halink"
	"hasse/internal/httpapi"
	"hasse/internal/hub"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// BenchmarkFootprint measures where the gateway's heap goes once a busy home has filled its
// replay window: the gateway with default settings, fed by a simulated home taking
// FOOTPRINT_RATE (default 400) steps a second for FOOTPRINT_WARM (default 30s), in this process
// (the simulator's own allocations show under internal/simulator in the profile). It reports
// the live heap after a collection, the heap goal, the events the ring holds and their Size,
// and writes a heap profile to FOOTPRINT_PROFILE if set. FOOTPRINT_REPLAY_BYTES sets the ring's
// byte bound; FOOTPRINT_CLIENT=1 adds one envelope client taking every event, so that messages
// are made. One iteration whatever -benchtime says:
//
//	go test -tags footprint -run '^$' -bench Footprint -benchtime 1x ./internal/gateway
func BenchmarkFootprint(b *testing.B) {
	warm, rate := 30*time.Second, 400.0
	if v := os.Getenv("FOOTPRINT_WARM"); v != "" {
		warm, _ = time.ParseDuration(v)
	}
	if v := os.Getenv("FOOTPRINT_RATE"); v != "" {
		rate, _ = strconv.ParseFloat(v, 64)
	}
	var hcfg hub.Config
	if v := os.Getenv("FOOTPRINT_REPLAY_BYTES"); v != "" {
		hcfg.ReplayBytes, _ = strconv.Atoi(v)
	}
	home := simtest.Start(b, simulator.Config{Token: "bench", Seed: 1, Rate: rate})
	g := gatewaytest.Start(b, gateway.Config{
		HA:      halink.Config{URL: home.URL, Token: "bench"},
		Hub:     hcfg,
		HTTP:    httpapi.Config{Auth: httpapi.AuthNone},
		StatsDB: b.TempDir() + "/stats.db",
	})
	gatewaytest.Ready(b, g.URL())
	if os.Getenv("FOOTPRINT_CLIENT") != "" {
		resp, err := http.Get(g.URL() + "/subscribe_events")
		if err != nil {
			b.Fatal(err)
		}
		defer resp.Body.Close()
		go io.Copy(io.Discard, resp.Body)
	}
	for b.Loop() {
		time.Sleep(warm)
	}

	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/gc/heap/goal:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	if path := os.Getenv("FOOTPRINT_PROFILE"); path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
		f.Close()
	}
	frames := g.Hub().Recent(context.Background())
	size := 0
	for _, fr := range frames {
		size += fr.Size()
	}
	b.ReportMetric(float64(s[0].Value.Uint64())/(1<<20), "MiB-live")
	b.ReportMetric(float64(s[1].Value.Uint64())/(1<<20), "MiB-goal")
	b.ReportMetric(float64(s[2].Value.Uint64())/(1<<20), "MiB-stacks")
	b.ReportMetric(float64(len(frames)), "events-held")
	b.ReportMetric(float64(size)/float64(max(len(frames), 1)), "Size/event")
	var env, named int
	for _, fr := range frames { // after the profile: this encodes every message
		env += len(fr.Bytes(format.Envelope))
		named += len(fr.Bytes(format.Named))
	}
	b.ReportMetric(float64(env)/float64(max(len(frames), 1)), "envelope-B/event")
	b.ReportMetric(float64(named)/float64(max(len(frames), 1)), "named-B/event")
}
