package main

import (
	"fmt"
	"log/slog"

	"github.com/redis/go-redis/v9"

	"hasse/internal/cluster"
	"hasse/internal/halink"
	"hasse/internal/httpapi"
)

// newNode makes the gateway's membership of a cluster when MCP_REDIS_URL asks for one; nil
// otherwise.
func newNode(s settings, log *slog.Logger) (*cluster.Node, error) {
	if s.RedisURL == "" {
		return nil, nil
	}
	redis.SetLogger(cluster.RedisLog{Log: log.With("part", "redis")}) // go-redis has one logger per process
	node, err := cluster.New(cluster.Config{
		URL:      s.RedisURL,
		Instance: s.RedisInstance,
		Prefix:   s.RedisPrefix,
		Lease:    s.RedisLease,
		MaxLen:   s.ReplaySize,
	}, log.With("part", "cluster"))
	if err != nil {
		return nil, fmt.Errorf("MCP_REDIS_URL: %w", err)
	}
	return node, nil
}

// clusterLinkStatus is the event source's state in multi-instance mode: the leader's link to
// Home Assistant, as it reports it, reaching this instance through Redis.
func clusterLinkStatus(own func() httpapi.LinkStatus, node *cluster.Node) func() httpapi.LinkStatus {
	return func() httpapi.LinkStatus {
		st := node.Status()
		switch {
		case st.Leading: // this instance's own link; it delivers locally while Redis is away
			return own()
		case !st.Connected:
			return httpapi.LinkStatus{Problem: "cannot reach Redis: no events reach this instance; retrying"}
		case st.LeaderLink == nil:
			return httpapi.LinkStatus{Problem: "no instance leads the ingest yet"}
		}
		l := st.LeaderLink
		return httpapi.LinkStatus{Connected: l.Connected, Version: l.Version, LastEventAt: l.LastEventAt, Problem: l.Problem}
	}
}

// haLink is what a leader reports of its link to Home Assistant.
func haLink(ha *halink.Client) func() cluster.Link {
	own := linkStatus(ha)
	return func() cluster.Link {
		st := own()
		return cluster.Link{Connected: st.Connected, Version: st.Version, LastEventAt: st.LastEventAt, Problem: st.Problem}
	}
}
