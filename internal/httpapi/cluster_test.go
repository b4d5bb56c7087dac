package httpapi

import (
	"testing"
	"time"

	"hasse/internal/stats"
)

// TestStatsScope checks ?scope= on /api/sse/stats: without Redis the cluster is this instance
// alone (the multi-instance answer is tested in cmd/hasse with real instances); a bad scope is
// refused.
func TestStatsScope(t *testing.T) {
	env := newStatsEnv(t, Config{}, stats.Config{Interval: 20 * time.Millisecond})
	for _, tc := range []struct {
		query     string
		status    int
		instances int // -1: not a cluster answer
	}{
		{"", 200, -1},
		{"?scope=instance", 200, -1},
		{"?scope=cluster", 200, 1},
		{"?scope=everything", 400, -1},
	} {
		status, body := env.call(t, "GET", "/api/sse/stats"+tc.query, adminToken, "")
		if status != tc.status {
			t.Errorf("GET /api/sse/stats%s: %d, want %d (%v)", tc.query, status, tc.status, body)
			continue
		}
		data, _ := body["data"].(map[string]any)
		instances, isCluster := data["instances"].([]any)
		switch {
		case tc.instances < 0 && isCluster:
			t.Errorf("GET /api/sse/stats%s answered for the cluster: %v", tc.query, body)
		case tc.instances >= 0 && len(instances) != tc.instances:
			t.Errorf("GET /api/sse/stats%s: %d instances, want %d (%v)", tc.query, len(instances), tc.instances, body)
		}
	}
}
