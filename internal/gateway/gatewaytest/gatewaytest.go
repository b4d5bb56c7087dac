// Package gatewaytest runs the whole gateway in a test, on a loopback port, until the test ends.
package gatewaytest

import (
	"context"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"time"

	"hasse/internal/gateway"
	"hasse/internal/testwait"
)

// Start wires the gateway from cfg (its log discarded) and runs it until the test ends. It
// does not wait for it to be ready: see [Ready].
func Start(t testing.TB, cfg gateway.Config) *gateway.Gateway {
	t.Helper()
	g, err := gateway.New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = g.Run(ctx) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return g
}

// Ready waits until the gateway at base answers /ready with 200: linked to Home Assistant, its
// states read.
func Ready(t testing.TB, base string) {
	t.Helper()
	testwait.For(t, 20*time.Second, "the gateway ready", func() bool {
		resp, err := http.Get(base + "/ready")
		if err != nil {
			return false
		}
		resp.Body.Close()
		return resp.StatusCode == 200
	})
}
