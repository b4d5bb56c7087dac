package main

import (
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"hasse/internal/gateway/gatewaytest"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
	"hasse/internal/testwait"
)

// TestHealthSaysBanned runs the gateway from an address Home Assistant has banned (ip_ban_enabled:
// a failed login with login_attempts_threshold 1): the WebSocket upgrade gets 403, and /health
// says so in one word and in plain words that tell what to do, with the time of the next try.
func TestHealthSaysBanned(t *testing.T) {
	sim := simtest.Start(t, simulator.Config{Token: "ban", Seed: 3, Rate: -1, LoginAttemptsThreshold: 1})
	req, _ := http.NewRequest("GET", sim.URL+"/api/", nil)
	req.Header.Set("Authorization", "Bearer not-the-token") // a failed login from 127.0.0.1
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if len(sim.Banned()) != 1 {
		t.Fatalf("banned %v after a failed login, want 127.0.0.1", sim.Banned())
	}

	s, err := loadSettings("serve", nil, []string{"MCP_HTTP_ADDR=127.0.0.1:0", "MCP_SSE_AUTH=none", "HA_URL=" + sim.URL, "HA_TOKEN=ban"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	g := gatewaytest.Start(t, s.gateway(sim.URL, "ban", nil))

	var health struct {
		Status string `json:"status"`
		HA     struct {
			Connected bool   `json:"connected"`
			Problem   string `json:"problem"`
			Code      string `json:"code"`
			RetryAt   string `json:"retry_at"`
		} `json:"ha"`
	}
	testwait.For(t, 20*time.Second, "/health to say banned", func() bool {
		resp, err := http.Get(g.URL() + "/health")
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
