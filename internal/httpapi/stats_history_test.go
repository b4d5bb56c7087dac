package httpapi

import (
	"errors"
	"net/http"
	"path/filepath"
	"testing"
	"time"

	"hasse/internal/stats"
	"hasse/internal/store"
	"hasse/internal/testwait"
)

func TestHistorySurvivesRestart(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.db")
	db, err := store.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env := newStatsEnv(t, Config{}, stats.Config{Interval: 20 * time.Millisecond, Store: db})
	req, _ := http.NewRequest("GET", env.url+"/subscribe_events?token="+adminToken, nil)
	_, events := openStream(t, req)
	next(t, events)
	for range 5 {
		ev := stateEvent("light.kitchen", "on")
		ev.Received = time.Now()
		env.hub.Publish(ev)
		next(t, events)
	}
	testwait.For(t, 10*time.Second, "5 events in the day's metrics", func() bool {
		m, err := env.stats.Metrics(t.Context(), "24h")
		return err == nil && m.Metrics.Events.Total == 5
	})
	env.stop() // the process stops
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err = store.Open(path) // and starts again
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	env = newStatsEnv(t, Config{}, stats.Config{Interval: time.Hour, Store: db})
	_, got := env.call(t, "GET", "/api/sse/metrics?period=24h", adminToken, "")
	m := got["data"].(map[string]any)["metrics"].(map[string]any)
	total := m["events"].(map[string]any)["total"]
	maxConns := m["connections"].(map[string]any)["max"]
	if total != 5.0 || maxConns != 1.0 {
		t.Errorf("after a restart, 24h metrics show %v events and a peak of %v connections; want 5 and 1", total, maxConns)
	}
	_, got = env.call(t, "GET", "/api/sse/history?period=24h", adminToken, "")
	if series := got["data"].(map[string]any)["series"].([]any); len(series) == 0 {
		t.Errorf("after a restart, the day's series is empty")
	}
	_, got = env.call(t, "GET", "/health", "", "")
	if p, ok := got["stats_history"]; ok {
		t.Errorf("/health reports a history problem %v with a working store", p)
	}
}

func TestBrokenHistoryIsReportedAndStatsGoOn(t *testing.T) {
	env := newStatsEnv(t, Config{}, stats.Config{Interval: 20 * time.Millisecond, StoreErr: errors.New("file is not a database")})
	_, got := env.call(t, "GET", "/health", "", "")
	if p, _ := got["stats_history"].(string); p == "" || got["status"] != "healthy" {
		t.Errorf("/health = %v, want healthy with a stats_history problem", got)
	}
	testwait.For(t, 10*time.Second, "samples in memory", func() bool {
		_, got := env.call(t, "GET", "/api/sse/history?period=1h", adminToken, "")
		return len(got["data"].(map[string]any)["series"].([]any)) > 0
	})
}
