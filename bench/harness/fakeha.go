package main

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"hasse/internal/hastamp"
	"net/http"
	"sync"
	"time"

	"github.com/coder/websocket"
)

// haVersion is the version the fake Home Assistant gives in auth_required and auth_ok.
const haVersion = "2025.7.2"

// errNoSubscriber is a publish with no connection subscribed to state_changed.
var errNoSubscriber = errors.New("no home assistant client is subscribed to state_changed")

// fakeHA is Home Assistant as a gateway's WebSocket link sees it (HA-PROTOCOL.md), with a home
// of dimmable lights whose state_changed events the harness publishes. It speaks the protocol
// hasse uses: the auth handshake, ids that must grow, command batches, supported_features,
// subscribe_events (every event, or state_changed) and unsubscribe_events, get_states,
// get_config (a running Home Assistant), the area, device and entity registry lists (lights in
// no area), auth/current_user (an admin) and ping; any other command is unknown_command. It
// never coalesces: each message goes in a frame of its own, as Home Assistant sends a message
// that is alone in its queue. Its methods are safe for concurrent use.
type fakeHA struct {
	token      string            // the access token accepted; "" accepts any
	sent       func(stamp int64) // when not nil, called with each event's stamp once it is written
	answers    map[string]answer
	subscribed chan struct{} // closed at the first subscription that gets state_changed
	once       sync.Once
	handlers   sync.WaitGroup // WebSocket handlers, which outlive http.Server.Close

	mu       sync.Mutex // guards what follows; never held across a write
	lights   []benchLight
	sessions map[*haSession]struct{}
	closed   bool
}

// haSession is one authenticated connection.
type haSession struct {
	ws *websocket.Conn

	mu   sync.Mutex     // guards subs; held while events are written and subscribe_events replies
	subs map[int64]bool // subscription id → whether it gets state_changed
}

// newFakeHA returns a fake Home Assistant with lights entities, all off.
func newFakeHA(token string, lights int) *fakeHA {
	now := time.Now()
	h := &fakeHA{token: token, subscribed: make(chan struct{}), sessions: map[*haSession]struct{}{},
		lights: make([]benchLight, max(lights, 1))}
	h.answers = h.makeAnswers()
	for i := range h.lights {
		h.lights[i] = benchLight{changed: now, context: hastamp.ULID(now, nil)}
	}
	return h
}

// handler serves /api/websocket and the REST API's sanity check GET /api/.
func (h *fakeHA) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET /api/websocket", h.serveWebSocket)
	mux.HandleFunc("GET /api/{$}", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		if h.token != "" && r.Header.Get("Authorization") != "Bearer "+h.token {
			w.WriteHeader(http.StatusUnauthorized)
			_, _ = w.Write([]byte(`{"message":"401: Unauthorized"}`))
			return
		}
		_, _ = w.Write([]byte(`{"message":"API running."}`))
	})
	return mux
}

// waitSubscribed returns once a client has subscribed to state_changed, or ctx has ended.
func (h *fakeHA) waitSubscribed(ctx context.Context) error {
	select {
	case <-h.subscribed:
		return nil
	case <-ctx.Done():
		return errors.New("no home assistant client subscribed to state_changed in time")
	}
}

// close ends every connection and waits for their handlers; the http.Server is the caller's
// to close.
func (h *fakeHA) close() {
	h.mu.Lock()
	h.closed = true
	for s := range h.sessions {
		s.ws.CloseNow()
	}
	h.mu.Unlock()
	h.handlers.Wait()
}

// publish toggles light seq mod lights and sends its state_changed, stamped with the time of
// sending, to every subscription that gets it.
func (h *fakeHA) publish(ctx context.Context, seq int64) error {
	now := time.Now()
	h.mu.Lock()
	i := int(seq % int64(len(h.lights)))
	old := h.lights[i]
	cur := benchLight{on: !old.on, changed: now, context: hastamp.ULID(now, nil)}
	h.lights[i] = cur
	sessions := make([]*haSession, 0, len(h.sessions))
	for s := range h.sessions {
		sessions = append(sessions, s)
	}
	h.mu.Unlock()
	sent := 0
	var buf []byte
	var err error
	for _, s := range sessions {
		s.mu.Lock() // each event is stamped once the connection is free to take it
		for sub, wants := range s.subs {
			if !wants {
				continue
			}
			stamp := time.Now().UnixNano()
			buf = appendStateChanged(buf[:0], sub, i, old, cur, stamp)
			if werr := s.ws.Write(ctx, websocket.MessageText, buf); werr != nil {
				err = werr
				continue
			}
			sent++
			if h.sent != nil {
				h.sent(stamp)
			}
		}
		s.mu.Unlock()
	}
	if sent == 0 {
		return cmp.Or(err, errNoSubscriber)
	}
	return nil
}

// states renders get_states' result: every light's state.
func (h *fakeHA) states() json.RawMessage {
	h.mu.Lock()
	defer h.mu.Unlock()
	b := []byte{'['}
	for i, l := range h.lights {
		if i > 0 {
			b = append(b, ',')
		}
		b = appendState(b, i, l, -1)
	}
	return append(b, ']')
}
