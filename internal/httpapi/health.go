package httpapi

import (
	"cmp"
	"net/http"
	"time"
)

// health answers GET /health (SPEC.md §6.3): always 200 while the process serves, "degraded" with
// the reason while no event source is live; ha says why in plain words (problem) and in one word
// (code), and when hasse tries again (retry_at).
func (s *Server) health(w http.ResponseWriter, r *http.Request) error {
	st := s.link()
	type haStatus struct {
		Connected   bool    `json:"connected"`
		Starting    bool    `json:"starting,omitempty"`
		Version     string  `json:"version,omitempty"`
		LastEventAt *string `json:"last_event_at"`
		Problem     string  `json:"problem,omitempty"`
		Code        string  `json:"code,omitempty"`
		RetryAt     string  `json:"retry_at,omitempty"`
	}
	body := struct {
		Status              string       `json:"status"`
		Reason              string       `json:"reason,omitempty"`
		Version             string       `json:"version"`
		SSEEventsEnabled    bool         `json:"sseEventsEnabled"`
		SSEEventsPath       string       `json:"sseEventsPath"`
		SSEConnectedClients int          `json:"sseConnectedClients"`
		HA                  haStatus     `json:"ha"`
		Redis               *redisHealth `json:"redis,omitempty"`         // multi-instance mode (cluster.go)
		StatsHistory        string       `json:"stats_history,omitempty"` // why history is in memory only
	}{
		Status:              "healthy",
		Version:             s.cfg.Version,
		SSEEventsEnabled:    !s.cfg.DisableEvents,
		SSEEventsPath:       s.cfg.EventsPath,
		SSEConnectedClients: s.hub.Clients(),
		HA:                  haStatus{Connected: st.Connected, Starting: st.Starting, Version: st.Version, Problem: st.Problem, Code: st.Code},
	}
	if s.cfg.Stats != nil {
		body.StatsHistory = s.cfg.Stats.HistoryProblem()
	}
	if !st.RetryAt.IsZero() {
		body.HA.RetryAt = st.RetryAt.UTC().Format(time.RFC3339)
	}
	if !st.LastEventAt.IsZero() {
		t := st.LastEventAt.UTC().Format(time.RFC3339Nano)
		body.HA.LastEventAt = &t
	}
	if s.cfg.Cluster != nil {
		body.Redis = redisHealthOf(s.cfg.Cluster.Status())
	}
	switch {
	case !st.Connected:
		body.Status = "degraded"
		body.Reason = "no live event source: " + cmp.Or(st.Problem, "not connected to Home Assistant")
	case body.Redis != nil && !body.Redis.Connected:
		body.Status = "degraded"
		body.Reason = "Redis cannot be reached: this instance delivers only the events it reads itself"
	}
	writeJSON(w, http.StatusOK, body)
	return nil
}

// ready answers GET /ready: 200 while an event source is live, 503 otherwise.
func (s *Server) ready(w http.ResponseWriter, r *http.Request) error {
	if st := s.link(); !st.Connected {
		return &apiError{http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "not ready: " + cmp.Or(st.Problem, "not connected to Home Assistant"), 5 * time.Second}
	}
	writeData(w, map[string]bool{"ready": true})
	return nil
}
