package stats_test

import (
	"context"
	"log/slog"
	"path/filepath"
	"sync"
	"testing"

	"hasse/internal/hub"
	"hasse/internal/stats"
	"hasse/internal/store"
)

// TestStreamsOpenAtShutdownAreSaved stops a hub and its collector, on one signal as the gateway
// does, with three streams open, and checks that the statistics file records the three as closed
// by the shutdown: the hub ends them as it stops, which the collector used to miss by saving
// before it had.
func TestStreamsOpenAtShutdownAreSaved(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	path := filepath.Join(t.TempDir(), "stats.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	m := new(stats.Meter)
	var c *stats.Collector
	h, err := hub.New(hub.Config{Meter: m, OnClose: func(cl *hub.Client) { c.Unregistered(cl) }}, log)
	if err != nil {
		t.Fatal(err)
	}
	c, err = stats.New(stats.Config{Store: db}, h, m, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	wg.Go(func() { _ = c.Run(ctx) })
	for _, id := range []string{"conn_a", "conn_b", "conn_c"} {
		if _, err := h.Subscribe(context.Background(), hub.Subscription{ID: id, User: "u"}); err != nil {
			t.Fatal(err)
		}
	}
	cancel()
	wg.Wait()
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	closed, err := db.LoadClosed(10)
	if err != nil {
		t.Fatal(err)
	}
	reasons := map[string]string{}
	for _, cl := range closed {
		reasons[cl.ID] = cl.Reason
	}
	if len(closed) != 3 || reasons["conn_a"] != "server_shutdown" || reasons["conn_b"] != "server_shutdown" || reasons["conn_c"] != "server_shutdown" {
		t.Errorf("the statistics file holds %v closed connections, want conn_a, conn_b and conn_c closed by server_shutdown", reasons)
	}
}
