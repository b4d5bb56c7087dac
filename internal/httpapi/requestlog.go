package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/url"
	"time"

	"hasse/internal/auth"
)

// logRequests logs each request at debug level when it ends: method, path, the query with token
// values redacted, status, client IP and duration. Headers are never logged.
func (s *Server) logRequests(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if !s.log.Enabled(r.Context(), slog.LevelDebug) {
			next.ServeHTTP(w, r)
			return
		}
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		next.ServeHTTP(sw, r)
		s.log.LogAttrs(context.WithoutCancel(r.Context()), slog.LevelDebug, "request",
			slog.String("method", r.Method), slog.String("path", r.URL.Path),
			slog.String("query", redactQuery(r.URL.RawQuery)), slog.Int("status", sw.status),
			slog.String("ip", s.clientIP(r)), slog.Duration("took", time.Since(start)))
	})
}

// redactQuery returns raw with the values of the token parameters replaced by [redacted]; a
// query that does not parse is not shown at all.
func redactQuery(raw string) string {
	if raw == "" {
		return ""
	}
	v, err := url.ParseQuery(raw)
	if err != nil {
		return "[unparsable]"
	}
	for _, name := range auth.TokenParams {
		if _, ok := v[name]; ok {
			v[name] = []string{"[redacted]"}
		}
	}
	return v.Encode()
}

// statusWriter remembers the status a handler wrote.
type statusWriter struct {
	http.ResponseWriter
	status int
	wrote  bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.status, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(p []byte) (int, error) {
	w.wrote = true // an implicit 200
	return w.ResponseWriter.Write(p)
}

// Unwrap lets http.ResponseController reach flushes and deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
