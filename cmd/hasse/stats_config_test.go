package main

import (
	"encoding/json"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/geo/geotest"
	"hasse/internal/ssetest"
	"hasse/internal/stats"
)

func TestStatsSettings(t *testing.T) {
	serve := []string{"MCP_SSE_AUTH=none", "HA_URL=http://h:8123", "HA_TOKEN=x"}
	for _, tc := range []struct {
		name    string
		cmd     string
		environ []string
		db      string
		rules   []stats.Rule
	}{
		{"serve default file", "serve", append(serve, "HOME=/home/u"), "/home/u/.local/state/hasse/hasse-stats.db", nil},
		{"serve XDG state", "serve", append(serve, "HOME=/home/u", "XDG_STATE_HOME=/var/lib"), "/var/lib/hasse/hasse-stats.db", nil},
		{"serve off", "serve", append(serve, "MCP_SSE_STATS_DB=off"), "off", nil},
		{"demo in memory", "demo", []string{"HOME=/home/u"}, "", nil},
		{"demo named file", "demo", []string{"MCP_SSE_STATS_DB=/tmp/s.db"}, "/tmp/s.db", nil},
		{"default alerts", "demo", []string{"MCP_SSE_ALERTS="}, "", nil},
		{"no alerts", "demo", []string{"MCP_SSE_ALERTS=none"}, "", []stats.Rule{}},
		{"alerts", "demo", []string{"MCP_SSE_ALERTS=cpu>90:5m, latency_p99>250"}, "", []stats.Rule{
			{Name: "cpu", Metric: "cpu", Threshold: 90, For: stats.Duration(5 * time.Minute)},
			{Name: "latency_p99", Metric: "latency_p99", Threshold: 250},
		}},
		{"alerts below and on the new figures", "demo", []string{"MCP_SSE_ALERTS=delivery_success_rate<99:1m,bandwidth>1e6"}, "", []stats.Rule{
			{Name: "delivery_success_rate", Metric: "delivery_success_rate", Threshold: 99, For: stats.Duration(time.Minute), Below: true},
			{Name: "bandwidth", Metric: "bandwidth", Threshold: 1e6},
		}},
	} {
		s, err := loadSettings(tc.cmd, nil, tc.environ, io.Discard)
		if err != nil {
			t.Errorf("%s: %v", tc.name, err)
			continue
		}
		if s.StatsDB != tc.db || !cmp.Equal(s.alertRules, tc.rules) {
			t.Errorf("%s: stats file %q, rules %+v; want %q, %+v", tc.name, s.StatsDB, s.alertRules, tc.db, tc.rules)
		}
	}
	for _, bad := range []string{"cpu", "cpu>hot", "mood>1", "cpu>1:soon", "cpu>1,cpu>2", "cpu<", "<5"} {
		if _, err := loadSettings("demo", nil, []string{"MCP_SSE_ALERTS=" + bad}, io.Discard); err == nil {
			t.Errorf("MCP_SSE_ALERTS=%s accepted", bad)
		}
	}
}

// TestGeoIPSetting: a MaxMind-format file is taken, anything else stops start-up naming the
// setting; the demo then places a client that a trusted proxy says comes from a test address
// in that address's country.
func TestGeoIPSetting(t *testing.T) {
	good := geotest.Write(t, geotest.Entry{Network: "203.0.113.0/24", Country: "SE", City: "Stockholm"})
	junk := filepath.Join(t.TempDir(), "junk.mmdb")
	if err := os.WriteFile(junk, []byte("no database here"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{junk, filepath.Join(t.TempDir(), "missing.mmdb")} {
		_, err := loadSettings("demo", nil, []string{"MCP_SSE_GEOIP_DB=" + bad}, io.Discard)
		if err == nil || !strings.HasPrefix(err.Error(), "MCP_SSE_GEOIP_DB: ") {
			t.Errorf("MCP_SSE_GEOIP_DB=%s: %v, want an error naming the setting", bad, err)
		}
	}

	d := startDemo(t, []string{"MCP_SSE_GEOIP_DB=" + good, "MCP_HTTP_TRUSTED_PROXIES=127.0.0.1"})
	req, _ := http.NewRequest("GET", d.base+"/subscribe_events?client_id=abroad", nil)
	req.Header.Set("Authorization", "Bearer "+d.token)
	req.Header.Set("X-Forwarded-For", "203.0.113.50")
	_, events := ssetest.Open(t, req)
	ssetest.Next(t, events)
	req, _ = http.NewRequest("GET", d.base+"/api/sse/connections", nil)
	req.Header.Set("Authorization", "Bearer "+d.token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	var page struct {
		Data stats.ConnectionPage `json:"data"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&page); err != nil {
		t.Fatal(err)
	}
	var found bool
	for _, c := range page.Data.Connections {
		if c.ClientID == "abroad" {
			found = true
			if c.Country != "SE" || c.City != "Stockholm" || c.IPAddress != "203.0.113.50" {
				t.Errorf("the stream from 203.0.113.50 = %+v, want it placed in Stockholm, SE", c)
			}
		}
	}
	if !found {
		t.Errorf("connections = %+v, want the stream abroad", page.Data.Connections)
	}
}
