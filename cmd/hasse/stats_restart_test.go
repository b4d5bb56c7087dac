package main

import (
	"encoding/json"
	"hasse/internal/ssetest"
	"net/http"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestStatsHistorySurvivesRestart: the demo with a statistics file streams some events to a
// client and is stopped; started again on the same file, its day of metrics still holds them.
func TestStatsHistorySurvivesRestart(t *testing.T) {
	environ := []string{"MCP_SSE_AUTH=none", "MCP_SSE_STATS_DB=" + filepath.Join(t.TempDir(), "stats.db")}
	d := startDemo(t, environ, "--rate", "50", "--seed", "3")
	events := d.stream(t, "/subscribe_events")
	for range 20 {
		<-events
	}
	sent := statsField(t, d.base+"/api/sse/stats", "total_events_sent")
	if sent < 10 {
		t.Fatalf("total_events_sent = %v before the restart, want some", sent)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}

	d = startDemo(t, environ)
	var body struct {
		Data struct {
			Metrics struct {
				Connections struct{ Max float64 }
				Events      struct{ Total float64 }
			}
		}
	}
	getJSON(t, d.base+"/api/sse/metrics?period=24h", &body)
	if m := body.Data.Metrics; m.Events.Total < sent || m.Connections.Max < 1 {
		t.Errorf("after the restart the day shows %v events and a peak of %v connections; want at least %v and 1",
			m.Events.Total, m.Connections.Max, sent)
	}
}

func statsField(t *testing.T, url, field string) float64 {
	t.Helper()
	var body struct{ Data map[string]any }
	getJSON(t, url, &body)
	n, _ := body.Data[field].(float64)
	return n
}

func getJSON(t *testing.T, url string, v any) {
	t.Helper()
	req, _ := http.NewRequest("GET", url, nil)
	resp, b := ssetest.Do(t, http.DefaultClient, req)
	if resp.StatusCode != 200 || json.Unmarshal(b, v) != nil {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
}

// TestAlertRulesSurviveRestart: rules set through the API come back after a restart on the same
// statistics file, and give way once the configured rules change.
func TestAlertRulesSurviveRestart(t *testing.T) {
	db := "MCP_SSE_STATS_DB=" + filepath.Join(t.TempDir(), "stats.db")
	environ := []string{"MCP_SSE_AUTH=none", db, "MCP_SSE_ALERTS=connections_pct>80:1m"}
	d := startDemo(t, environ)
	req, _ := http.NewRequest(http.MethodPut, d.base+"/api/sse/alerts",
		strings.NewReader(`{"rules":[{"name":"busy","metric":"connections","threshold":3,"for":"10s"}]}`))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 200 {
		t.Fatalf("PUT /api/sse/alerts: %d", resp.StatusCode)
	}
	if err := d.stop(); err != nil {
		t.Fatal(err)
	}

	for _, tc := range []struct {
		alerts string
		want   []string
	}{
		{"connections_pct>80:1m", []string{"busy"}},      // the configuration as it was: the API's rules stand
		{"latency_p99>250:30s", []string{"latency_p99"}}, // a new configuration wins
	} {
		d = startDemo(t, []string{"MCP_SSE_AUTH=none", db, "MCP_SSE_ALERTS=" + tc.alerts})
		var body struct {
			Data struct{ Rules []struct{ Name string } }
		}
		getJSON(t, d.base+"/api/sse/alerts", &body)
		var names []string
		for _, r := range body.Data.Rules {
			names = append(names, r.Name)
		}
		if !slices.Equal(names, tc.want) {
			t.Errorf("configured %s: rules after the restart %v, want %v", tc.alerts, names, tc.want)
		}
		if err := d.stop(); err != nil {
			t.Fatal(err)
		}
	}
}
