package main

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hasse/internal/simulator"
)

// TestHealthSaysBanned runs the gateway from an address Home Assistant has banned (ip_ban_enabled:
// a failed login with login_attempts_threshold 1): the WebSocket upgrade gets 403, and /health
// says so in one word and in plain words that tell what to do, with the time of the next try.
func TestHealthSaysBanned(t *testing.T) {
	sim, err := simulator.New(simulator.Config{Token: "ban", Seed: 3, Rate: -1, LoginAttemptsThreshold: 1}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sim.Run(ctx) })
	ts := httptest.NewServer(sim)
	defer func() { cancel(); wg.Wait(); ts.Close() }()

	req, _ := http.NewRequest("GET", ts.URL+"/api/", nil)
	req.Header.Set("Authorization", "Bearer not-the-token") // a failed login from 127.0.0.1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(sim.Banned()) != 1 {
		t.Fatalf("banned %v after a failed login, want 127.0.0.1", sim.Banned())
	}

	s, err := loadSettings("serve", nil, []string{"MCP_HTTP_ADDR=127.0.0.1:0", "MCP_SSE_AUTH=none", "HA_URL=" + ts.URL, "HA_TOKEN=ban"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	g, err := newGateway(s, ts.URL, "ban", nil, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() { _ = g.run(ctx) })

	var health struct {
		Status string `json:"status"`
		HA     struct {
			Connected bool   `json:"connected"`
			Problem   string `json:"problem"`
			Code      string `json:"code"`
			RetryAt   string `json:"retry_at"`
		} `json:"ha"`
	}
	waitUntil(t, "/health to say banned", func() bool {
		resp, err := http.Get(g.url() + "/health")
		if err != nil {
			return false
		}
		defer resp.Body.Close()
		return json.NewDecoder(resp.Body).Decode(&health) == nil && health.HA.Code == "banned"
	})
	retry, err := time.Parse(time.RFC3339, health.HA.RetryAt)
	if health.Status != "degraded" || health.HA.Connected || !strings.Contains(health.HA.Problem, "ip_bans.yaml") ||
		err != nil || !retry.After(time.Now()) {
		t.Errorf("/health while banned: %+v, want degraded, the ban explained, and a next try to come", health)
	}
}
