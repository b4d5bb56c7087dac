package httpapi

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"hasse/internal/mcpapi"
)

// mcpQueueWait is the longest an MCP request waits for one of the server's MCP slots before it is
// refused 503.
const mcpQueueWait = 10 * time.Second

// mcp returns the handler of /mcp, the MCP server (SPEC.md §6.3). Each request is authenticated
// and rate limited as every other (401, 429 or 503 in the error shape of §8 before MCP runs); the
// tools then act as its user. The MCP server is stateless, so POST is all it takes.
//
// What one request may cost is bounded three ways: each message of a JSON-RPC batch counts
// against the rate limits as a request of its own; the answers of one request share a byte
// budget (package mcpapi); and at most Config.MCPConcurrency requests are served at once, the
// others waiting in line.
func (s *Server) mcp() handlerFunc {
	srv := mcpapi.New(mcpapi.Config{
		Version:      s.cfg.Version,
		MaxBodyBytes: s.cfg.MaxBodyBytes,
		AnswerBytes:  s.cfg.MCPAnswerBytes,
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
		body, err := readBody(r, s.cfg.MaxBodyBytes)
		if err != nil {
			return err
		}
		if n := batchLen(body); n > 1 {
			if err := s.limitMore(r, u.Name, n-1); err != nil { // the first was counted as the request
				return err
			}
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		release, err := s.mcpSlots.enter(r.Context(), stopping(r), mcpQueueWait)
		if err != nil {
			return err
		}
		defer release()
		pw := &plainErrors{ResponseWriter: w}
		srv.ServeHTTP(pw, r.WithContext(mcpapi.WithUser(r.Context(), u)))
		pw.finish()
		return nil
	}
}

// readBody reads a POST body of at most maxBytes.
func readBody(r *http.Request, maxBytes int64) ([]byte, error) {
	body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, maxBytes))
	var tooBig *http.MaxBytesError
	switch {
	case errors.As(err, &tooBig):
		return nil, errorf(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", fmt.Sprintf("the request body is larger than %d bytes", maxBytes))
	case err != nil:
		return nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", "the request body could not be read")
	}
	return body, nil
}

// batchLen returns how many messages a JSON-RPC body holds: the length of a batch (a JSON
// array), else 1. A malformed body is 1: MCP refuses it.
func batchLen(body []byte) int {
	if trimmed := bytes.TrimLeft(body, " \t\r\n"); len(trimmed) == 0 || trimmed[0] != '[' {
		return 1
	}
	var batch []json.RawMessage
	if json.Unmarshal(body, &batch) != nil {
		return 1
	}
	return max(len(batch), 1)
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
