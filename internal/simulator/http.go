package simulator

import (
	"net/http"
	"strings"
)

// ServeHTTP serves Home Assistant's endpoints: the WebSocket API at /api/websocket and the REST
// check GET /api/. A WebSocket connection lasts until the client leaves, breaks the protocol, is
// dropped as too slow, or Run stops; ServeHTTP returns only after all its goroutines have exited.
// Connections wait for Run to start and are refused with 503 once it has stopped. A banned
// address (Config.LoginAttemptsThreshold) gets 403 on every request, as from HA's ban middleware.
func (s *Simulator) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if s.bans.isBanned(remoteAddr(r)) {
		plainError(w, http.StatusForbidden, "403: Forbidden")
		return
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Simulator) routes() *http.ServeMux {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/websocket", s.serveWebSocket)
	mux.HandleFunc("GET /api/{$}", s.serveAPIRoot)
	mux.HandleFunc("/", func(w http.ResponseWriter, _ *http.Request) {
		plainError(w, http.StatusNotFound, "404: Not Found")
	})
	return mux
}

// serveAPIRoot answers GET /api/ as HA's api integration does: {"message":"API running."} to a
// valid bearer token, 401 otherwise.
func (s *Simulator) serveAPIRoot(w http.ResponseWriter, r *http.Request) {
	token, ok := strings.CutPrefix(r.Header.Get("Authorization"), "Bearer ")
	if !ok || s.userByToken(token) == nil || s.refuseAuth.Load() {
		s.bans.failure(remoteAddr(r)) // HA's ban middleware counts every 401
		plainError(w, http.StatusUnauthorized, "401: Unauthorized")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_, _ = w.Write([]byte(`{"message":"API running."}`))
}

// plainError writes an error as aiohttp does: a text/plain body "<code>: <reason>".
func plainError(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "text/plain; charset=utf-8")
	w.WriteHeader(code)
	_, _ = w.Write([]byte(body))
}
