package gateway

import (
	"errors"

	"hasse/internal/cluster"
	"hasse/internal/halink"
	"hasse/internal/httpapi"
	"hasse/internal/stats"
)

// linkStatus is the state of the link to Home Assistant for /health and /ready, with what to do
// about it in plain words.
func linkStatus(ha *halink.Client) func() httpapi.LinkStatus {
	return func() httpapi.LinkStatus {
		st := ha.Status()
		ls := httpapi.LinkStatus{Connected: st.Connected, Starting: st.Starting, Version: st.HAVersion, LastEventAt: st.LastEventAt, Registry: ha.RegistryProblem()}
		switch {
		case st.Connected:
		case errors.Is(st.LastError, halink.ErrBanned):
			ls.Code = "banned"
			ls.Problem = "Home Assistant refuses hasse's address (HTTP 403): banned after failed logins; remove it from ip_bans.yaml " +
				"in Home Assistant's configuration folder and restart Home Assistant; retrying at least every 5 minutes"
		case errors.Is(st.LastError, halink.ErrAuthInvalid) && st.RetryAt.IsZero():
			ls.Code = "token_refused"
			ls.Problem = "Home Assistant refused the access token (HA_TOKEN) twice; hasse stopped trying, as each try is a failed " +
				"login towards a ban of its address: set HA_TOKEN to an admin's long-lived access token and restart hasse"
		case errors.Is(st.LastError, halink.ErrAuthInvalid):
			ls.Code = "token_refused"
			ls.Problem = "Home Assistant refused the access token (HA_TOKEN): it must be an admin's long-lived access token; " +
				"trying once more"
		case st.LastError != nil:
			ls.Code, ls.Problem = "unreachable", "cannot reach Home Assistant; retrying"
		default:
			ls.Code, ls.Problem = "connecting", "connecting to Home Assistant"
		}
		if !st.Connected {
			ls.RetryAt = st.RetryAt
		}
		return ls
	}
}

// promLink reports the Home Assistant link for /metrics.
func promLink(ha *halink.Client) func() stats.Link {
	return func() stats.Link {
		st := ha.Status()
		return stats.Link{Connected: st.Connected, Reconnects: max(st.Connects-1, 0)}
	}
}

// clusterLinkStatus is the event source's state in multi-instance mode: the leader's link to
// Home Assistant, as it reports it, reaching this instance through Redis (node is the cluster
// Node's Status).
func clusterLinkStatus(own func() httpapi.LinkStatus, node func() cluster.Status) func() httpapi.LinkStatus {
	return func() httpapi.LinkStatus {
		st := node()
		switch {
		case st.Leading: // this instance's own link; it delivers locally while Redis is away
			return own()
		case !st.Connected:
			return httpapi.LinkStatus{Code: "redis_unreachable", Problem: "cannot reach Redis: no events reach this instance; retrying"}
		case st.LeaderLink == nil:
			return httpapi.LinkStatus{Code: "no_leader", Problem: "no instance leads the ingest yet"}
		}
		l := st.LeaderLink
		return httpapi.LinkStatus{Connected: l.Connected, Starting: l.Starting, Version: l.Version, LastEventAt: l.LastEventAt,
			Problem: l.Problem, Code: l.Code, RetryAt: l.RetryAt}
	}
}

// haLink is what a leader reports of its link to Home Assistant.
func haLink(ha *halink.Client) func() cluster.Link {
	own := linkStatus(ha)
	return func() cluster.Link {
		st := own()
		return cluster.Link{Connected: st.Connected, Starting: st.Starting, Version: st.Version, LastEventAt: st.LastEventAt,
			Problem: st.Problem, Code: st.Code, RetryAt: st.RetryAt}
	}
}
