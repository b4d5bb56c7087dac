// Package simtest serves a simulated Home Assistant in a test.
package simtest

import (
	"context"
	"log/slog"
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
	sim, err := simulator.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
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
