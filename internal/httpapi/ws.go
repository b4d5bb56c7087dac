package httpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coder/websocket"

	"hasse/internal/auth"
	"hasse/internal/random"
)

// wsAuthTimeout is how long a WebSocket client that sent no token with its request has to send
// its auth message.
const wsAuthTimeout = 10 * time.Second

// wsRequest is a command of the statistics WebSocket API (SPEC.md §6.2).
type wsRequest struct {
	ID           int64  `json:"id"`
	Type         string `json:"type"`
	AccessToken  string `json:"access_token"`
	ConnectionID string `json:"connection_id"`
	Period       string `json:"period"`
	Interval     string `json:"interval"`
}

// wsReply is an answer: the REST shape, {"success":true,"data":…} or the error shape, plus the
// command's type and echoed id.
type wsReply struct {
	ID        int64  `json:"id,omitempty"`
	Type      string `json:"type"`
	Success   bool   `json:"success"`
	Data      any    `json:"data,omitempty"`
	Message   string `json:"message,omitempty"`
	ErrorCode string `json:"error_code,omitempty"`
}

// statsSocket serves GET /api/sse/ws. A token in the request (Bearer header or query) is checked
// before the upgrade; without one, the client must send {"type":"auth","access_token":…} first,
// as Home Assistant's own WebSocket API asks. Only administrators are served.
func (s *Server) statsSocket(w http.ResponseWriter, r *http.Request) error {
	q, err := url.ParseQuery(r.URL.RawQuery)
	if err != nil {
		return errorf(http.StatusBadRequest, "INVALID_PARAMETER", "the query string is malformed")
	}
	// A request that is no handshake has no in-band auth to come: it needs its token now.
	upgrade := strings.Contains(strings.ToLower(r.Header.Get("Upgrade")), "websocket")
	authed := s.cfg.Auth == AuthNone || auth.FromRequest(r, q) != "" || !upgrade
	if authed {
		if err := s.requireAdmin(r, q); err != nil {
			return err
		}
	}
	conn, err := websocket.Accept(&refusalWriter{ResponseWriter: w}, r, s.wsAcceptOptions())
	if err != nil {
		return nil // Accept has answered
	}
	defer conn.CloseNow()
	ctx, cancel := context.WithCancel(r.Context()) // the server does not end hijacked connections
	var wg sync.WaitGroup
	defer wg.Wait()
	defer cancel()
	revoked := make(chan struct{}) // closed when the token no longer grants the socket (revalidate.go)
	wg.Go(func() {
		select {
		case <-s.cfg.Stats.Done(): // the gateway is stopping
			conn.Close(websocket.StatusGoingAway, "server shutdown")
			cancel()
		case <-revoked:
			conn.Close(websocket.StatusPolicyViolation, "UNAUTHORIZED")
			cancel()
		case <-ctx.Done():
		}
	})
	tok := auth.FromRequest(r, q)
	if !authed {
		if tok = s.wsAuthenticate(ctx, conn, r); tok == "" {
			return nil
		}
	} else if s.wsWrite(ctx, conn, wsReply{Type: "auth_ok", Success: true}) != nil {
		return nil
	}
	if s.streams != nil {
		key, once := "ws-"+random.Hex(8), sync.OnceFunc(func() { close(revoked) })
		s.streams.add(key, opened{tok: tok, admin: true, end: once})
		defer s.streams.remove(key)
	}
	sess := &wsSession{s: s, conn: conn}
	defer sess.unsubscribe()
	for {
		_, msg, err := conn.Read(ctx)
		if err != nil {
			return nil // the client went away, or the server is stopping
		}
		var req wsRequest
		if err := json.Unmarshal(msg, &req); err != nil {
			req.Type = "invalid"
		}
		reply := wsReply{}
		if err := s.limitMessage(r); err != nil { // each message costs what a request costs
			reply = wsReply{ID: req.ID, Type: req.Type, Message: err.message, ErrorCode: err.code}
		} else {
			reply = sess.handle(ctx, req)
		}
		if s.wsWrite(ctx, conn, reply) != nil {
			return nil
		}
	}
}

// wsAcceptOptions lets a WebSocket be opened from the gateway's own origin and from those of
// Config.CORSOrigins, each matched whole (scheme and host; New checked their shape): a page of
// "null" origin (a sandboxed frame, a file:// page) is no origin anybody listed.
func (s *Server) wsAcceptOptions() *websocket.AcceptOptions {
	opts := &websocket.AcceptOptions{}
	for _, o := range s.cfg.CORSOrigins {
		if o == "*" {
			opts.InsecureSkipVerify = true // tokens, not cookies, authorise: any page may connect
			break
		}
		opts.OriginPatterns = append(opts.OriginPatterns, matchExactly.Replace(o))
	}
	return opts
}

// matchExactly escapes what path.Match, which the WebSocket library matches origins with, would
// read as a pattern: the brackets of an IPv6 origin (http://[::1]:8080) above all.
var matchExactly = strings.NewReplacer(`\`, `\\`, "*", `\*`, "?", `\?`, "[", `\[`)

// wsAuthenticate runs Home Assistant's handshake: auth_required, auth, then auth_ok or
// auth_invalid (and the connection is closed). It returns the token accepted; "" for none.
func (s *Server) wsAuthenticate(ctx context.Context, conn *websocket.Conn, r *http.Request) auth.Token {
	if s.wsWrite(ctx, conn, wsReply{Type: "auth_required", Success: true}) != nil {
		return ""
	}
	actx, cancel := context.WithTimeout(ctx, wsAuthTimeout)
	defer cancel()
	_, msg, err := conn.Read(actx)
	if err != nil {
		conn.Close(websocket.StatusPolicyViolation, "no auth message")
		return ""
	}
	var req wsRequest
	_ = json.Unmarshal(msg, &req)
	v := url.Values{"token": {req.AccessToken}}
	r = r.Clone(ctx)
	r.Header.Del("Authorization")
	switch err := s.requireAdmin(r, v); {
	case req.Type != "auth" || req.AccessToken == "":
		err = errorf(http.StatusUnauthorized, "UNAUTHORIZED", `the first message must be {"type":"auth","access_token":…}`)
		fallthrough
	case err != nil:
		var e *apiError
		if !errors.As(err, &e) {
			e = errorf(http.StatusInternalServerError, "INTERNAL_ERROR", "internal error")
		}
		_ = s.wsWrite(ctx, conn, wsReply{Type: "auth_invalid", Message: e.message, ErrorCode: e.code})
		conn.Close(websocket.StatusPolicyViolation, e.code)
		return ""
	}
	if s.wsWrite(ctx, conn, wsReply{Type: "auth_ok", Success: true}) != nil {
		return ""
	}
	return auth.Token(req.AccessToken)
}

// wsWrite writes one message within the server's header timeout.
func (s *Server) wsWrite(ctx context.Context, conn *websocket.Conn, v wsReply) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	wctx, cancel := context.WithTimeout(ctx, s.cfg.ReadHeaderTimeout)
	defer cancel()
	return conn.Write(wctx, websocket.MessageText, b)
}

// wsSession is one WebSocket client's state: its statistics subscription, if any.
type wsSession struct {
	s    *Server
	conn *websocket.Conn

	stop func() // ends the subscription's goroutine and waits for it; nil without one
}

func (ss *wsSession) handle(ctx context.Context, req wsRequest) wsReply {
	c := ss.s.cfg.Stats
	ok := func(data any) wsReply { return wsReply{ID: req.ID, Type: req.Type, Success: true, Data: data} }
	fail := func(e *apiError) wsReply {
		return wsReply{ID: req.ID, Type: req.Type, Message: e.message, ErrorCode: e.code}
	}
	switch req.Type {
	case "get_sse_stats":
		return ok(ss.s.statsWithClients(ctx))
	case "get_sse_connection":
		conn, found := ss.s.findConnection(ctx, req.ConnectionID)
		if !found {
			return fail(connectionNotFound(req.ConnectionID))
		}
		return ok(map[string]any{"connection": conn})
	case "get_sse_metrics":
		m, err := c.Metrics(ctx, cmp.Or(req.Period, "1h"))
		if err != nil {
			return fail(asAPIError(periodError(err)))
		}
		return ok(m)
	case "get_sse_alerts":
		a, _ := c.Alerts(ctx)
		return ok(a)
	case "subscribe_sse_stats":
		interval := 5 * time.Second
		if req.Interval != "" {
			d, err := time.ParseDuration(req.Interval)
			if err != nil || d < time.Second || d > time.Hour {
				return fail(errorf(http.StatusBadRequest, "INVALID_PARAMETER", `invalid parameter "interval": a duration from 1s to 1h, like 2s`))
			}
			interval = d
		}
		ss.subscribe(ctx, req.ID, interval)
		return ok(map[string]any{"interval": interval.String()})
	case "unsubscribe_sse_stats":
		ss.unsubscribe()
		return ok(map[string]any{})
	case "ping":
		return wsReply{ID: req.ID, Type: "pong", Success: true}
	}
	return fail(errorf(http.StatusBadRequest, "INVALID_PARAMETER", "unknown command; use get_sse_stats, get_sse_connection, get_sse_metrics, get_sse_alerts, subscribe_sse_stats or unsubscribe_sse_stats"))
}

func asAPIError(err error) *apiError {
	if e := (*apiError)(nil); errors.As(err, &e) {
		return e
	}
	return errorf(http.StatusInternalServerError, "INTERNAL_ERROR", "internal error")
}

// subscribe starts pushing, under the subscribing command's id, the statistics every interval
// ("sse_stats") and every alert transition ("sse_alert"). A new subscription replaces the old.
func (ss *wsSession) subscribe(ctx context.Context, id int64, interval time.Duration) {
	ss.unsubscribe()
	ctx, cancel := context.WithCancel(ctx)
	transitions, unsub := ss.s.cfg.Stats.Subscribe(ctx)
	var wg sync.WaitGroup
	wg.Go(func() {
		defer unsub()
		tick := time.NewTicker(interval)
		defer tick.Stop()
		for {
			var push wsReply
			select {
			case <-tick.C:
				push = wsReply{ID: id, Type: "sse_stats", Success: true, Data: ss.s.cfg.Stats.Stats(ctx)}
			case tr, ok := <-transitions:
				if !ok {
					return
				}
				push = wsReply{ID: id, Type: "sse_alert", Success: true, Data: tr}
			case <-ctx.Done():
				return
			}
			if ss.s.wsWrite(ctx, ss.conn, push) != nil {
				return
			}
		}
	})
	ss.stop = func() { cancel(); wg.Wait() }
}

func (ss *wsSession) unsubscribe() {
	if ss.stop != nil {
		ss.stop()
		ss.stop = nil
	}
}
