package httpapi

import (
	"context"
	"encoding/json"
	"net/http"
	"net/url"
	"time"

	"hasse/internal/cluster"
	"hasse/internal/stats"
)

// Cluster is the view of a multi-instance gateway (SPEC.md §7); cluster.Node satisfies it.
type Cluster interface {
	Status() cluster.Status
	Instances(ctx context.Context) ([]cluster.Report, error)
}

// redisHealth is the redis part of /health in multi-instance mode.
type redisHealth struct {
	Connected bool   `json:"connected"`
	Instance  string `json:"instance"`
	Role      string `json:"role"`                 // leader or follower
	Leader    string `json:"leader,omitempty"`     // the instance that leads the ingest
	Epoch     string `json:"epoch,omitempty"`      // the stream's, the first part of event ids
	LocalOnly bool   `json:"local_only,omitempty"` // leading without Redis: events reach this instance's clients only
	Problem   string `json:"problem,omitempty"`
}

func redisHealthOf(st cluster.Status) *redisHealth {
	h := &redisHealth{Connected: st.Connected, Instance: st.Instance, Role: "follower", Leader: st.Leader,
		Epoch: st.Epoch, LocalOnly: st.LocalOnly, Problem: st.Problem}
	if st.Leading {
		h.Role = "leader"
	}
	return h
}

// clusterScope reads the scope parameter of the statistics: "" or "instance" for this
// instance's figures, "cluster" for every instance's.
func clusterScope(v url.Values) (bool, error) {
	switch v.Get("scope") {
	case "", "instance":
		return false, nil
	case "cluster":
		return true, nil
	}
	return false, errorf(http.StatusBadRequest, "INVALID_PARAMETER", `invalid parameter "scope": use instance or cluster`)
}

// clusterStats is the answer of GET /api/sse/stats?scope=cluster: every live instance's
// statistics as it last reported them (every 3 s), and their sums.
type clusterStats struct {
	Scope     string          `json:"scope"`
	Leader    string          `json:"leader,omitempty"`
	Totals    clusterTotals   `json:"totals"`
	Instances []instanceStats `json:"instances"`
}

type clusterTotals struct {
	Instances         int     `json:"instances"`
	ActiveConnections int     `json:"active_connections"`
	TotalEventsSent   int64   `json:"total_events_sent"`
	EventsPerSecond   float64 `json:"events_per_second"`
	MemoryUsage       uint64  `json:"memory_usage"`
	EventBacklog      int     `json:"event_backlog"`
	DroppedClients    int64   `json:"dropped_clients"`
	BytesSent         int64   `json:"bytes_sent"`
	BytesPerSecond    float64 `json:"bytes_per_second"`
}

type instanceStats struct {
	Instance  string      `json:"instance"`
	Leader    bool        `json:"leader"`
	LocalOnly bool        `json:"local_only,omitempty"`
	At        string      `json:"reported_at,omitempty"`
	Stats     stats.Stats `json:"stats"`
}

// writeClusterStats answers ?scope=cluster. Without Redis the cluster is this instance alone.
func (s *Server) writeClusterStats(w http.ResponseWriter, r *http.Request) error {
	out := clusterStats{Scope: "cluster", Instances: []instanceStats{}}
	if s.cfg.Cluster == nil {
		out.Instances = append(out.Instances, instanceStats{Instance: "local", Leader: true, Stats: s.cfg.Stats.Stats(r.Context())})
	} else {
		reports, err := s.cfg.Cluster.Instances(r.Context())
		if err != nil {
			return &apiError{http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "Redis cannot be reached: the cluster's statistics are unavailable; try scope=instance", 5 * time.Second}
		}
		for _, rep := range reports {
			is := instanceStats{Instance: rep.Instance, Leader: rep.Leader, LocalOnly: rep.LocalOnly, At: rep.At.Format("2006-01-02T15:04:05.000Z07:00")}
			if len(rep.Stats) > 0 && json.Unmarshal(rep.Stats, &is.Stats) != nil {
				continue
			}
			if rep.Leader {
				out.Leader = rep.Instance
			}
			out.Instances = append(out.Instances, is)
		}
	}
	for _, is := range out.Instances {
		t := &out.Totals
		t.Instances++
		t.ActiveConnections += is.Stats.ActiveConnections
		t.TotalEventsSent += is.Stats.TotalEventsSent
		t.EventsPerSecond += is.Stats.EventsPerSecond
		t.MemoryUsage += is.Stats.MemoryUsage
		t.EventBacklog += is.Stats.EventBacklog
		t.DroppedClients += is.Stats.DroppedClients
		t.BytesSent += is.Stats.BytesSent
		t.BytesPerSecond += is.Stats.BytesPerSecond
	}
	writeData(w, out)
	return nil
}
