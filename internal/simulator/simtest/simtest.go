// Package simtest serves a simulated Home Assistant in a test.
package simtest

import (
	"context"
	"log/slog"
	"net"
	"net/http"
	"net/http/httptest"
	"sync"
	"testing"

	"hasse/internal/simulator"
)

// Home is a simulator served on a loopback port.
type Home struct {
	*simulator.Simulator
	URL  string // its base URL: http://127.0.0.1:port
	stop func()
}

// Start serves a simulator made from cfg (its log discarded) until the test ends, or until
// [Home.Stop].
func Start(t testing.TB, cfg simulator.Config) *Home {
	t.Helper()
	sim := newSimulator(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sim.Run(ctx) })
	ts := httptest.NewServer(sim)
	var once sync.Once
	h := &Home{Simulator: sim, URL: ts.URL, stop: func() { once.Do(func() { cancel(); wg.Wait(); ts.Close() }) }}
	t.Cleanup(h.stop)
	return h
}

// Stop ends the simulator and its server before the test does: Home Assistant gone.
func (h *Home) Stop() { h.stop() }

// Serve serves a simulator made from cfg (its log discarded) on ln until the test ends, then
// closes ln: for a listener other than a plain loopback port, such as in-memory connections a
// synctest bubble can see block, or one the test watches.
func Serve(t testing.TB, cfg simulator.Config, ln net.Listener) *simulator.Simulator {
	t.Helper()
	sim := newSimulator(t, cfg)
	ctx, cancel := context.WithCancel(context.Background())
	srv := &http.Server{Handler: sim}
	var wg sync.WaitGroup
	wg.Go(func() { _ = sim.Run(ctx) })
	wg.Go(func() { _ = srv.Serve(ln) })
	t.Cleanup(func() {
		cancel() // the simulator ends its WebSocket connections, which the server no longer tracks
		_ = srv.Close()
		wg.Wait()
	})
	return sim
}

func newSimulator(t testing.TB, cfg simulator.Config) *simulator.Simulator {
	t.Helper()
	sim, err := simulator.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return sim
}
