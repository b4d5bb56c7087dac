package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"time"
)

// readBodies reads each request's body in full before any handler runs: at most
// Config.MaxBodyBytes (413 beyond), and within Config.BodyTimeout of the request's head (408
// then, and the connection is closed). A client that sends a head and never its body is thus let
// go as soon as one that never finishes its head is (SPEC.md §5.4), whoever it is: the token may
// be in the body, so nothing can be decided before it is read. Once read, the body is served from
// memory and the connection's read deadline is lifted again, for the streams that follow. When
// the server begins to stop, a body still coming is given up at once (503).
func (s *Server) readBodies(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Body == nil || r.Body == http.NoBody {
			next.ServeHTTP(w, r)
			return
		}
		rc := http.NewResponseController(w)
		deadline := rc.SetReadDeadline(time.Now().Add(s.cfg.BodyTimeout)) == nil
		halt := context.AfterFunc(stopping(r), func() { _ = rc.SetReadDeadline(time.Now()) })
		body, err := io.ReadAll(http.MaxBytesReader(nil, r.Body, s.cfg.MaxBodyBytes))
		var tooBig *http.MaxBytesError
		var netErr net.Error
		switch {
		case !halt(): // the gateway began to stop: a body still coming is not waited for
			w.Header().Set("Connection", "close")
			writeError(w, &apiError{http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "the gateway is shutting down", 3 * time.Second})
			return
		case errors.As(err, &tooBig):
			w.Header().Set("Connection", "close") // the rest of the body is not read
			writeError(w, errorf(http.StatusRequestEntityTooLarge, "PAYLOAD_TOO_LARGE", fmt.Sprintf("the request body is larger than %d bytes", s.cfg.MaxBodyBytes)))
			return
		case errors.As(err, &netErr) && netErr.Timeout():
			w.Header().Set("Connection", "close")
			writeError(w, errorf(http.StatusRequestTimeout, "REQUEST_TIMEOUT", fmt.Sprintf("the request body did not arrive within %v", s.cfg.BodyTimeout)))
			return
		case err != nil:
			w.Header().Set("Connection", "close")
			writeError(w, errorf(http.StatusBadRequest, "INVALID_PARAMETER", "the request body could not be read"))
			return
		}
		if deadline {
			_ = rc.SetReadDeadline(time.Time{})
		}
		r.Body = io.NopCloser(bytes.NewReader(body))
		next.ServeHTTP(w, r)
	})
}
