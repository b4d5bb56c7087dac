package cluster

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"slices"
	"strings"
	"time"

	"github.com/redis/go-redis/v9"
)

// Report is what each instance publishes about itself every 3/10 of the lease, with the lease
// as its time to live: the cluster-wide statistics are every live instance's reports, and the
// leader's tells the others about the link to Home Assistant.
type Report struct {
	Instance  string          `json:"instance"`
	Leader    bool            `json:"leader"`
	LocalOnly bool            `json:"local_only,omitempty"`
	At        time.Time       `json:"at"`
	HA        *Link           `json:"ha,omitempty"` // the leader's link to Home Assistant
	Stats     json.RawMessage `json:"stats,omitempty"`
}

// Link is the state of a leader's link to Home Assistant.
type Link struct {
	Connected   bool      `json:"connected"`
	Starting    bool      `json:"starting,omitempty"` // connected to a Home Assistant that is still starting
	Version     string    `json:"version,omitempty"`
	LastEventAt time.Time `json:"last_event_at,omitzero"`
	Problem     string    `json:"problem,omitempty"` // why it is down, in plain words
	Code        string    `json:"code,omitempty"`    // why it is down, in one word
	RetryAt     time.Time `json:"retry_at,omitzero"` // when the leader tries again; zero when it waits for nothing
}

// report publishes this instance's report and reads the leader's, every renewal period, until
// ctx ends; then it takes its own report away.
func (n *Node) report(ctx context.Context, local Local) {
	t := time.NewTicker(n.cfg.renewEvery())
	defer t.Stop()
	for {
		rctx, cancel := context.WithTimeout(ctx, n.cfg.renewEvery())
		n.publishReport(rctx, local)
		n.readLeader(rctx)
		cancel()
		select {
		case <-t.C:
		case <-ctx.Done():
			dctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), time.Second)
			_ = n.rdb.Del(dctx, n.keys.report+n.cfg.Instance).Err()
			cancel()
			return
		}
	}
}

func (n *Node) publishReport(ctx context.Context, local Local) {
	st := n.Status()
	r := Report{Instance: n.cfg.Instance, Leader: st.Leading, LocalOnly: st.LocalOnly, At: time.Now().UTC()}
	if st.Leading && local.Link != nil {
		link := local.Link()
		r.HA = &link
		n.state.setLeader(n.cfg.Instance, &link)
	}
	if local.Stats != nil {
		r.Stats, _ = json.Marshal(local.Stats(ctx))
	}
	b, err := json.Marshal(r)
	if err != nil {
		n.log.LogAttrs(ctx, slog.LevelError, "report not encodable", slog.Any("err", err))
		return
	}
	if err := n.rdb.Set(ctx, n.keys.report+n.cfg.Instance, b, n.cfg.Lease).Err(); err != nil && ctx.Err() == nil {
		n.noteRedis(err)
	}
}

// readLeader learns who leads, and the state of its link to Home Assistant.
func (n *Node) readLeader(ctx context.Context) {
	if n.Status().Leading {
		return
	}
	id, err := n.rdb.Get(ctx, n.keys.leader).Result()
	switch {
	case errors.Is(err, redis.Nil):
		n.state.setLeader("", nil)
		return
	case err != nil:
		return // the other loops report Redis's state
	}
	var link *Link
	if b, err := n.rdb.Get(ctx, n.keys.report+id).Bytes(); err == nil {
		var r Report
		if json.Unmarshal(b, &r) == nil && r.Leader {
			link = r.HA
		}
	}
	n.state.setLeader(id, link)
}

// Instances returns the reports of every instance that reported within the lease, this one
// included, in instance id order.
func (n *Node) Instances(ctx context.Context) ([]Report, error) {
	var keys []string
	iter := n.rdb.Scan(ctx, 0, n.keys.report+"*", 100).Iterator()
	for iter.Next(ctx) {
		keys = append(keys, iter.Val())
	}
	if err := iter.Err(); err != nil {
		return nil, err
	}
	if len(keys) == 0 {
		return []Report{}, nil
	}
	vals, err := n.rdb.MGet(ctx, keys...).Result()
	if err != nil {
		return nil, err
	}
	reports := make([]Report, 0, len(vals))
	for i, v := range vals {
		s, ok := v.(string)
		if !ok { // expired between SCAN and MGET
			continue
		}
		var r Report
		if err := json.Unmarshal([]byte(s), &r); err != nil {
			n.log.LogAttrs(ctx, slog.LevelWarn, "unreadable instance report", slog.String("key", keys[i]), slog.Any("err", err))
			continue
		}
		reports = append(reports, r)
	}
	slices.SortFunc(reports, func(a, b Report) int { return strings.Compare(a.Instance, b.Instance) })
	return reports, nil
}
