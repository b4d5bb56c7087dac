package httpapi

import (
	"log/slog"
	"net/http"
	"runtime/debug"
	"strings"

	"github.com/rs/cors"

	"hasse/internal/dashboard"
)

// Handler returns the server's routes, with panics recovered.
func (s *Server) Handler() http.Handler {
	mux := http.NewServeMux()
	mux.Handle("/health", s.methods(s.health, http.MethodGet, http.MethodHead))
	mux.Handle("/ready", s.methods(s.ready, http.MethodGet, http.MethodHead))
	if !s.cfg.DisableEvents {
		mux.Handle(s.cfg.EventsPath, s.methods(s.subscribe, http.MethodGet, http.MethodPost))
	}
	s.statsRoutes(mux)
	mux.Handle("/mcp", s.methods(s.mcp(), http.MethodPost))
	page := dashboard.New() // "/" exactly and its assets; other paths keep the JSON 404
	mux.Handle("/{$}", page)
	mux.Handle(dashboard.Prefix, page)
	mux.Handle("/", s.methods(s.notFound))
	var h http.Handler = s.limitIP(s.readBodies(mux))
	if len(s.cfg.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: s.cfg.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete},
			AllowedHeaders: []string{"Authorization", "Last-Event-ID", "Content-Type", "Mcp-Protocol-Version"},
			MaxAge:         600,
		}).Handler(h)
	}
	return s.logRequests(s.recoverPanics(s.guardNone(h)))
}

// handlerFunc is a handler that returns its refusal instead of writing it.
type handlerFunc func(w http.ResponseWriter, r *http.Request) error

// methods serves h for the given methods (any, when none are given) and answers others 405.
func (s *Server) methods(h handlerFunc, allowed ...string) http.Handler {
	allow := strings.Join(allowed, ", ")
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if len(allowed) > 0 && !strings.Contains(", "+allow+", ", ", "+r.Method+", ") {
			w.Header().Set("Allow", allow)
			writeError(w, errorf(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", r.Method+" is not allowed here; use "+allow))
			return
		}
		if err := h(w, r); err != nil {
			s.fail(w, r, err)
		}
	})
}

// fail answers a handler's error; anything but an *apiError is an internal error whose text
// stays in the log.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if e, ok := err.(*apiError); ok {
		writeError(w, e)
		return
	}
	s.log.LogAttrs(r.Context(), slog.LevelError, "request failed", slog.String("path", r.URL.Path), slog.Any("err", err))
	writeError(w, errorf(http.StatusInternalServerError, "INTERNAL_ERROR", "internal error"))
}

func (s *Server) notFound(w http.ResponseWriter, r *http.Request) error {
	return errorf(http.StatusNotFound, "NOT_FOUND", "no such endpoint: "+r.URL.Path)
}

// recoverPanics answers a panicking request 500 and keeps the process up.
func (s *Server) recoverPanics(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		sw := &statusWriter{ResponseWriter: w, status: http.StatusOK}
		defer func() {
			v := recover()
			if v == nil || v == http.ErrAbortHandler {
				if v != nil {
					panic(v)
				}
				return
			}
			s.log.LogAttrs(r.Context(), slog.LevelError, "handler panic", slog.String("path", r.URL.Path),
				slog.Any("panic", v), slog.String("stack", string(debug.Stack())))
			if !sw.wrote { // a stream already under way cannot become a JSON error
				writeError(w, errorf(http.StatusInternalServerError, "INTERNAL_ERROR", "internal error"))
			}
		}()
		next.ServeHTTP(sw, r)
	})
}
