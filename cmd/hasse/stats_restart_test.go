package main

import (
	"encoding/json"
	"io"
	"net/http"
	"path/filepath"
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
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 || json.Unmarshal(b, v) != nil {
		t.Fatalf("GET %s: %d %s", url, resp.StatusCode, b)
	}
}
