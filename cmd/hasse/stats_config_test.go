package main

import (
	"io"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

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
	for _, bad := range []string{"cpu", "cpu>hot", "mood>1", "cpu>1:soon", "cpu>1,cpu>2"} {
		if _, err := loadSettings("demo", nil, []string{"MCP_SSE_ALERTS=" + bad}, io.Discard); err == nil {
			t.Errorf("MCP_SSE_ALERTS=%s accepted", bad)
		}
	}
}
