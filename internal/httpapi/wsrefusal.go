package httpapi

import (
	"net/http"
	"strings"
)

// refusalWriter is the ResponseWriter the WebSocket library accepts a connection on. The
// library refuses a request that is no WebSocket handshake, or comes from an origin not
// allowed, with a plain-text http.Error; refusalWriter answers those in SPEC.md §8's JSON
// shape instead, with the library's status, its message and the headers it set (Upgrade).
type refusalWriter struct {
	http.ResponseWriter
	status int // of the refusal being written; 0 while none
}

// Unwrap lets the library reach the connection to hijack.
func (w *refusalWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// WriteHeader holds back a refusal's status until its message comes.
func (w *refusalWriter) WriteHeader(status int) {
	if status < http.StatusBadRequest {
		w.ResponseWriter.WriteHeader(status)
		return
	}
	w.status = status
}

// Write writes a refusal's message in the JSON shape; other bytes go through.
func (w *refusalWriter) Write(p []byte) (int, error) {
	if w.status == 0 {
		return w.ResponseWriter.Write(p)
	}
	status, code := w.status, "INVALID_PARAMETER"
	switch status {
	case http.StatusForbidden:
		code = "FORBIDDEN"
	case http.StatusMethodNotAllowed:
		code = "METHOD_NOT_ALLOWED"
	case http.StatusNotImplemented, http.StatusInternalServerError:
		code = "INTERNAL_ERROR"
	}
	w.status = 0
	w.Header().Del("X-Content-Type-Options")
	writeError(w.ResponseWriter, errorf(status, code, strings.TrimSpace(string(p))))
	return len(p), nil
}
