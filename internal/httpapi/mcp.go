package httpapi

import (
	"net/http"
	"net/url"
	"strings"

	"hasse/internal/mcpapi"
)

// mcp returns the handler of /mcp, the MCP server (SPEC.md §6.3). Each request is authenticated
// and rate limited as every other (401, 429 or 503 in the error shape of §8 before MCP runs); the
// tools then act as its user. The MCP server is stateless, so POST is all it takes.
func (s *Server) mcp() handlerFunc {
	srv := mcpapi.New(mcpapi.Config{
		Version:      s.cfg.Version,
		MaxBodyBytes: s.cfg.MaxBodyBytes,
		Registry:     func() string { return s.link().Registry },
	}, s.hub, s.cfg.Stats, s.log)
	return func(w http.ResponseWriter, r *http.Request) error {
		q, err := url.ParseQuery(r.URL.RawQuery)
		if err != nil {
			return errorf(http.StatusBadRequest, "INVALID_PARAMETER", "the query string is malformed")
		}
		u, _, err := s.authenticate(r, q) // the body is MCP's: a token comes as Bearer or in the query
		if err != nil {
			return err
		}
		pw := &plainErrors{ResponseWriter: w}
		srv.ServeHTTP(pw, r.WithContext(mcpapi.WithUser(r.Context(), u)))
		pw.finish()
		return nil
	}
}

// plainErrors turns the plain-text refusals the MCP SDK writes with http.Error (a wrong
// Content-Type or Accept header, a body over the limit) into the error shape of SPEC.md §8.
// JSON-RPC errors, which MCP clients read, pass unchanged.
type plainErrors struct {
	http.ResponseWriter
	refusal *apiError // a plain-text refusal begun, not yet written
	done    bool      // the refusal was written
}

// Unwrap lets http.ResponseController reach the connection.
func (w *plainErrors) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (w *plainErrors) WriteHeader(status int) {
	if status >= 400 && strings.HasPrefix(w.Header().Get("Content-Type"), "text/plain") {
		w.refusal = errorf(status, errorCode(status), http.StatusText(status))
		return
	}
	w.ResponseWriter.WriteHeader(status)
}

func (w *plainErrors) Write(p []byte) (int, error) {
	if w.refusal == nil {
		return w.ResponseWriter.Write(p)
	}
	if msg := strings.TrimSpace(string(p)); msg != "" && w.refusal.status < 500 { // a 500's text stays out
		w.refusal.message = clipTo(msg, 200)
	}
	w.finish()
	return len(p), nil
}

// finish writes a refusal that has begun, once.
func (w *plainErrors) finish() {
	if w.refusal != nil && !w.done {
		w.done = true
		writeError(w.ResponseWriter, w.refusal)
	}
}

// errorCode returns the code of SPEC.md §8 for an HTTP status.
func errorCode(status int) string {
	switch status {
	case http.StatusUnauthorized:
		return "UNAUTHORIZED"
	case http.StatusForbidden:
		return "FORBIDDEN"
	case http.StatusNotFound:
		return "NOT_FOUND"
	case http.StatusMethodNotAllowed:
		return "METHOD_NOT_ALLOWED"
	case http.StatusRequestEntityTooLarge:
		return "PAYLOAD_TOO_LARGE"
	case http.StatusTooManyRequests:
		return "RATE_LIMITED"
	}
	if status >= 500 {
		return "INTERNAL_ERROR"
	}
	return "INVALID_PARAMETER"
}
