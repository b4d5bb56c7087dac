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
	"strings"
	"syscall"
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
	"hasse/internal/testwait"
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

// BenchmarkIdleClients measures what FOOTPRINT_CLIENTS (default 2,000) idle clients cost the
// gateway's heap and stacks: each a raw HTTP/1.1 connection subscribed to an entity the home
// never changes, so that nothing is ever written to it after its head. It reports, per client,
// the heap the burst of connections left behind before any collection (what RSS holds until
// the next one), the live heap after one, and the goroutine stacks; FOOTPRINT_PROFILE gets the
// heap profile with the clients held, FOOTPRINT_PROFILE_BASE the one before (compare them with
// `go tool pprof -base`):
//
//	go test -tags footprint -run '^$' -bench IdleClients -benchtime 1x ./internal/gateway
func BenchmarkIdleClients(b *testing.B) {
	n := 2000
	if v := os.Getenv("FOOTPRINT_CLIENTS"); v != "" {
		n, _ = strconv.Atoi(v)
	}
	home := simtest.Start(b, simulator.Config{Token: "bench", Seed: 1})
	g := gatewaytest.Start(b, gateway.Config{
		HA:   halink.Config{URL: home.URL, Token: "bench"},
		Hub:  hub.Config{MaxClients: n + 10, MaxClientsPerUser: n + 10},
		HTTP: httpapi.Config{Auth: httpapi.AuthNone},
	})
	gatewaytest.Ready(b, g.URL())
	addr := strings.TrimPrefix(g.URL(), "http://")
	request := "GET /subscribe_events?entity_id=sensor.bench_idle HTTP/1.1\r\nHost: " + addr + "\r\n\r\n"

	if os.Getenv("FOOTPRINT_PROFILE") != "" {
		runtime.MemProfileRate = 1
	}
	before := heapSample(b, os.Getenv("FOOTPRINT_PROFILE_BASE"))
	fds := make([]int, 0, n) // raw sockets: the clients cost this process's heap nothing
	defer func() {
		for _, fd := range fds {
			syscall.Close(fd)
		}
	}()
	port, _ := strconv.Atoi(addr[strings.LastIndexByte(addr, ':')+1:])
	head := make([]byte, 512)
	for b.Loop() {
		for range n {
			fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM|syscall.SOCK_CLOEXEC, 0)
			if err != nil {
				b.Fatal(err)
			}
			fds = append(fds, fd)
			if err := syscall.Connect(fd, &syscall.SockaddrInet4{Port: port, Addr: [4]byte{127, 0, 0, 1}}); err != nil {
				b.Fatal(err)
			}
			if _, err := syscall.Write(fd, []byte(request)); err != nil {
				b.Fatal(err)
			}
			if _, err := syscall.Read(fd, head); err != nil { // the head: the client is in
				b.Fatal(err)
			}
		}
	}
	testwait.For(b, time.Minute, "every client handed over", func() bool { return g.Hub().Clients() == n })
	time.Sleep(time.Second) // let the writers settle what they were handed
	var unswept [1]metrics.Sample
	unswept[0].Name = "/memory/classes/heap/objects:bytes"
	metrics.Read(unswept[:])
	after := heapSample(b, os.Getenv("FOOTPRINT_PROFILE"))
	per := func(x, y uint64) float64 { return (float64(x) - float64(y)) / float64(n) }
	b.ReportMetric(per(unswept[0].Value.Uint64(), before.live), "heap-before-GC-B/client")
	b.ReportMetric(per(after.live, before.live), "live-B/client")
	b.ReportMetric(per(after.stacks, before.stacks), "stacks-B/client")
}

// heapState is the live heap after a collection and the goroutine stacks' bytes.
type heapState struct{ live, stacks uint64 }

// heapSample collects, then reads the live heap and the stacks, and writes the heap profile
// to path if set.
func heapSample(b *testing.B, path string) heapState {
	runtime.GC()
	s := []metrics.Sample{{Name: "/gc/heap/live:bytes"}, {Name: "/memory/classes/heap/stacks:bytes"}}
	metrics.Read(s)
	if path != "" {
		f, err := os.Create(path)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.Lookup("heap").WriteTo(f, 0); err != nil {
			b.Fatal(err)
		}
	}
	return heapState{live: s[0].Value.Uint64(), stacks: s[1].Value.Uint64()}
}
