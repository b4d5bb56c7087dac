package httpapi

import (
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	slashpath "path"
	"runtime/debug"
	"slices"
	"strings"

	"github.com/rs/cors"

	"hasse/internal/dashboard"
)

// Handler returns the server's routes, with panics recovered.
func (s *Server) Handler() http.Handler { return s.handler }

// builtinPaths are the gateway's own routes, and builtinPrefixes the trees of routes it owns:
// the events path may be none of them, and lie in none of the trees.
var (
	builtinPaths    = []string{"/health", "/ready", "/metrics", "/mcp", "/get_sse_stats"}
	builtinPrefixes = []string{"/api/sse/", dashboard.Prefix}
)

// CheckEventsPath refuses an events path (Config.EventsPath) that the routes could not serve as written: one that is
// not clean (/a/../b, //a, /a/), holds anything but letters, digits and "-._~" between its
// slashes (a request for /%zz cannot even be parsed), or is taken by a route of the gateway's own.
func CheckEventsPath(p string) error {
	clean := len(p) > 1 && p[0] == '/' && slashpath.Clean(p) == p
	for i := 0; clean && i < len(p); i++ {
		c := p[i]
		clean = 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("/-._~", c) >= 0
	}
	switch {
	case !clean:
		return fmt.Errorf("events path %q: write it as a clean path of letters, digits and -._~, like /subscribe_events or /ha/events", p)
	case slices.Contains(builtinPaths, p) || slices.ContainsFunc(builtinPrefixes, func(pre string) bool {
		return strings.HasPrefix(p+"/", pre)
	}):
		return fmt.Errorf("events path %q: taken by a route of the gateway's own (%s, %s…)", p, strings.Join(builtinPaths, ", "), strings.Join(builtinPrefixes, "…, "))
	}
	return nil
}

// routes returns every route, with panics recovered. A pattern that conflicts with another makes
// ServeMux panic: that is an error here, before anything is served.
func (s *Server) routes() (handler http.Handler, err error) {
	defer func() {
		if v := recover(); v != nil {
			handler, err = nil, fmt.Errorf("routes: %v", v)
		}
	}()
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
	var h http.Handler = s.limitIP(s.readBodies(noConnect(mux)))
	if len(s.cfg.CORSOrigins) > 0 {
		h = cors.New(cors.Options{
			AllowedOrigins: s.cfg.CORSOrigins,
			AllowedMethods: []string{http.MethodGet, http.MethodPost, http.MethodHead, http.MethodPut, http.MethodDelete},
			AllowedHeaders: []string{"Authorization", "Last-Event-ID", "Content-Type", "Mcp-Protocol-Version"},
			ExposedHeaders: []string{"Retry-After"}, // a cross-origin script backs off as told (SPEC.md §5.4)
			MaxAge:         600,
		}).Handler(h)
		h = s.limitPreflights(h) // answered by cors, before limitIP sees them
	}
	return s.logRequests(s.recoverPanics(s.guardNone(h))), nil
}

// noConnect answers CONNECT, which ServeMux would answer with its plain-text 404 (no route
// matches an authority), in the error shape of SPEC.md §8: the gateway is no proxy.
func noConnect(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method == http.MethodConnect {
			w.Header().Set("Allow", "GET, POST, HEAD, PUT, DELETE")
			writeError(w, errorf(http.StatusMethodNotAllowed, "METHOD_NOT_ALLOWED", "CONNECT is not allowed: the gateway is no proxy"))
			return
		}
		next.ServeHTTP(w, r)
	})
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
	if e := (*apiError)(nil); errors.As(err, &e) {
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
