package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"

	"hasse/internal/stats"
)

// statsRoutes adds the SSE statistics tool (SPEC.md §6.1, §6.3): admin-only REST routes, the
// WebSocket API and /metrics. Without a collector there are none.
func (s *Server) statsRoutes(mux *http.ServeMux) {
	if s.cfg.Metrics != nil {
		mux.Handle("/metrics", s.methods(s.admin(s.metricsExport), http.MethodGet, http.MethodHead))
	}
	if s.cfg.Stats == nil {
		return
	}
	get := []string{http.MethodGet, http.MethodHead}
	mux.Handle("/api/sse/stats", s.methods(s.admin(s.stats), get...))
	mux.Handle("/api/sse/connections", s.methods(s.admin(s.connections), get...))
	mux.Handle("/api/sse/connections/{id}", s.methods(s.admin(s.connection), http.MethodGet, http.MethodHead, http.MethodDelete))
	mux.Handle("/api/sse/metrics", s.methods(s.admin(s.metrics), get...))
	mux.Handle("/api/sse/history", s.methods(s.admin(s.history), get...))
	mux.Handle("/api/sse/alerts", s.methods(s.admin(s.alerts), http.MethodGet, http.MethodHead, http.MethodPut))
	mux.Handle("/get_sse_stats", s.methods(s.admin(s.getSSEStats), http.MethodGet, http.MethodPost))
	mux.Handle("/api/sse/ws", s.methods(s.statsSocket, http.MethodGet))
}

// admin serves h to administrators only (SPEC.md §5.2): 401 without a valid token, 403 for a
// token that is not an admin's. Under auth none everyone is an admin. The token may come as a
// Bearer header, a query parameter or, for POST, in the body.
func (s *Server) admin(h func(w http.ResponseWriter, r *http.Request, v url.Values) error) handlerFunc {
	return func(w http.ResponseWriter, r *http.Request) error {
		v, err := params(r, s.cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		if err := s.requireAdmin(r, v); err != nil {
			return err
		}
		return h(w, r, v)
	}
}

func (s *Server) requireAdmin(r *http.Request, v url.Values) error {
	u, _, err := s.authenticate(r, v)
	if err != nil {
		return err
	}
	if !u.Admin {
		return errorf(http.StatusForbidden, "FORBIDDEN", "the statistics tool is for administrators only")
	}
	return nil
}

func (s *Server) stats(w http.ResponseWriter, r *http.Request, v url.Values) error {
	all, err := clusterScope(v) // ?scope=cluster: every instance's figures (cluster.go)
	if err != nil {
		return err
	}
	if all {
		return s.writeClusterStats(w, r)
	}
	writeData(w, s.cfg.Stats.Stats(r.Context()))
	return nil
}

// getSSEStats answers seed 2's POST /get_sse_stats: the statistics plus every client with its
// subscriptions.
func (s *Server) getSSEStats(w http.ResponseWriter, r *http.Request, _ url.Values) error {
	writeData(w, s.statsWithClients(r.Context()))
	return nil
}

func (s *Server) statsWithClients(ctx context.Context) stats.WithClients {
	return s.cfg.Stats.StatsWithClients(ctx)
}

// connections answers GET /api/sse/connections?limit=&offset=&user_id=, oldest first.
func (s *Server) connections(w http.ResponseWriter, r *http.Request, v url.Values) error {
	limit, err := intParam(v, "limit", 100, 1, 1000)
	if err != nil {
		return err
	}
	offset, err := intParam(v, "offset", 0, 0, 1<<30)
	if err != nil {
		return err
	}
	writeData(w, s.cfg.Stats.Connections(r.Context(), v.Get("user_id"), limit, offset))
	return nil
}

func intParam(v url.Values, name string, def, lo, hi int) (int, error) {
	text := v.Get(name)
	if text == "" {
		return def, nil
	}
	n, err := strconv.Atoi(text)
	if err != nil || n < lo || n > hi {
		return 0, errorf(http.StatusBadRequest, "INVALID_PARAMETER", fmt.Sprintf("invalid parameter %q: a whole number from %d to %d", name, lo, hi))
	}
	return n, nil
}

// connection answers GET and DELETE /api/sse/connections/{id}.
func (s *Server) connection(w http.ResponseWriter, r *http.Request, _ url.Values) error {
	id := r.PathValue("id")
	if r.Method == http.MethodDelete {
		if !s.hub.Disconnect(r.Context(), id) {
			return connectionNotFound(id)
		}
		writeData(w, map[string]any{"id": id, "disconnected": true})
		return nil
	}
	conn, ok := s.findConnection(r.Context(), id)
	if !ok {
		return connectionNotFound(id)
	}
	writeData(w, map[string]any{"connection": conn})
	return nil
}

func (s *Server) findConnection(ctx context.Context, id string) (stats.Connection, bool) {
	return s.cfg.Stats.Connection(ctx, id)
}

func connectionNotFound(id string) *apiError {
	return errorf(http.StatusNotFound, "CONNECTION_NOT_FOUND", "no open connection has the id "+strconv.Quote(clip(id)))
}

// metrics answers GET /api/sse/metrics?period=1h|24h|7d|30d.
func (s *Server) metrics(w http.ResponseWriter, r *http.Request, v url.Values) error {
	m, err := s.cfg.Stats.Metrics(r.Context(), cmp.Or(v.Get("period"), "1h"))
	if err != nil {
		return periodError(err)
	}
	writeData(w, m)
	return nil
}

// history answers GET /api/sse/history?period=…&limit= (closed connections, default 50).
func (s *Server) history(w http.ResponseWriter, r *http.Request, v url.Values) error {
	limit, err := intParam(v, "limit", 50, 0, 1000)
	if err != nil {
		return err
	}
	h, err := s.cfg.Stats.History(r.Context(), cmp.Or(v.Get("period"), "1h"), limit)
	if err != nil {
		return periodError(err)
	}
	writeData(w, h)
	return nil
}

func periodError(err error) error {
	if errors.Is(err, stats.ErrPeriod) {
		return errorf(http.StatusBadRequest, "INVALID_PARAMETER", `invalid parameter "period": use 1h, 24h, 7d or 30d`)
	}
	return err
}

// alerts answers GET /api/sse/alerts, and PUT with {"rules":[{"metric","threshold","for","name"}]}
// which replaces the rules.
func (s *Server) alerts(w http.ResponseWriter, r *http.Request, _ url.Values) error {
	if r.Method == http.MethodPut {
		var body struct {
			Rules *[]stats.Rule `json:"rules"`
		}
		dec := json.NewDecoder(http.MaxBytesReader(w, r.Body, s.cfg.MaxBodyBytes))
		dec.DisallowUnknownFields()
		var tooBig *http.MaxBytesError
		switch err := dec.Decode(&body); {
		case errors.As(err, &tooBig):
			return errorf(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", fmt.Sprintf("the request body is larger than %d bytes", s.cfg.MaxBodyBytes))
		case err != nil && !errors.Is(err, io.EOF), body.Rules == nil, dec.Decode(new(json.RawMessage)) != io.EOF: // nothing after the object
			return errorf(http.StatusBadRequest, "INVALID_PARAMETER", `the body must be {"rules":[{"metric":"cpu","threshold":90,"for":"5m"}, …]}`)
		}
		var re *stats.RuleError
		if err := s.cfg.Stats.SetRules(r.Context(), *body.Rules); errors.As(err, &re) {
			return errorf(http.StatusBadRequest, "INVALID_PARAMETER", clipTo(re.Error(), 200))
		} else if err != nil {
			return err
		}
	}
	a, ok := s.cfg.Stats.Alerts(r.Context())
	if !ok {
		return errorf(http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "the statistics collector is not running")
	}
	writeData(w, a)
	return nil
}
