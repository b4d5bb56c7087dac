package gateway

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/cluster"
	"hasse/internal/httpapi"
)

// TestFollowersReportTheLeadersLink: an instance that does not lead reports the leader's link
// to Home Assistant as the leader reported it through Redis (JSON), with its one-word code and
// its next try, as the leader's own /health does; without Redis or a leader it says so in both
// words and one.
func TestFollowersReportTheLeadersLink(t *testing.T) {
	retry := time.Date(2026, 12, 5, 18, 0, 0, 0, time.UTC)
	own := httpapi.LinkStatus{Code: "banned", Problem: "Home Assistant refuses hasse's address", RetryAt: retry}
	leaderLink := func() cluster.Link { return cluster.Link{Code: own.Code, Problem: own.Problem, RetryAt: own.RetryAt} }
	viaRedis := func(l cluster.Link) *cluster.Link { // as a follower reads the leader's report
		b, err := json.Marshal(l)
		if err != nil {
			t.Fatal(err)
		}
		var got cluster.Link
		if err := json.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		return &got
	}
	tests := []struct {
		name string
		st   cluster.Status
		want httpapi.LinkStatus
	}{
		{"leading: its own link", cluster.Status{Leading: true}, own},
		{"following: the leader's, as reported", cluster.Status{Connected: true, LeaderLink: viaRedis(leaderLink())}, own},
		{"following a starting home", cluster.Status{Connected: true, LeaderLink: viaRedis(cluster.Link{Connected: true, Starting: true, Version: "2024.3.3"})},
			httpapi.LinkStatus{Connected: true, Starting: true, Version: "2024.3.3"}},
		{"no Redis", cluster.Status{}, httpapi.LinkStatus{Code: "redis_unreachable", Problem: "cannot reach Redis: no events reach this instance; retrying"}},
		{"no leader", cluster.Status{Connected: true}, httpapi.LinkStatus{Code: "no_leader", Problem: "no instance leads the ingest yet"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := clusterLinkStatus(func() httpapi.LinkStatus { return own }, func() cluster.Status { return tt.st })()
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("link status (-want +got):\n%s", diff)
			}
		})
	}
}
