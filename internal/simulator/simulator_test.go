package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m)
}

const (
	adminToken = "admin-token-for-tests"
	userToken  = "user-token-for-tests"
	waitLimit  = 10 * time.Second // longest any test waits for a message
)

// startSim runs a Simulator (no automatic activity unless cfg.Rate is set) behind an httptest
// server; tune changes it before it starts. Cleanup stops Run, checks it returned nil, and closes
// the server.
func startSim(t *testing.T, cfg Config, tune ...func(*Simulator)) (*Simulator, *httptest.Server) {
	t.Helper()
	if cfg.Token == "" {
		cfg.Token = adminToken
	}
	if cfg.UserToken == "" {
		cfg.UserToken = userToken
	}
	if cfg.Rate == 0 {
		cfg.Rate = -1
	}
	s, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatalf("New(%+v): %v", cfg, err)
	}
	for _, f := range tune {
		f(s)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	s.States() // returns once Run serves
	ts := httptest.NewServer(s)
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run() = %v, want nil", err)
		}
		ts.Close()
	})
	return s, ts
}

// client is a test's WebSocket connection to the simulator.
type client struct {
	t       *testing.T
	ws      *websocket.Conn
	pending []json.RawMessage // messages of an array frame not yet returned by next
}

// dial connects to ts's /api/websocket without authenticating.
func dial(t *testing.T, ts *httptest.Server) *client {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(ts.URL, "http")+"/api/websocket", nil)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	ws.SetReadLimit(64 << 20)
	t.Cleanup(func() { _ = ws.CloseNow() })
	return &client{t: t, ws: ws}
}

// login connects and authenticates with token, expecting auth_ok.
func login(t *testing.T, ts *httptest.Server, token string) *client {
	t.Helper()
	c := dial(t, ts)
	if got := c.next(); got["type"] != "auth_required" {
		t.Fatalf("first message %v, want auth_required", got)
	}
	c.sendJSON(map[string]any{"type": "auth", "access_token": token})
	if got := c.next(); got["type"] != "auth_ok" {
		t.Fatalf("after auth got %v, want auth_ok", got)
	}
	return c
}

// frame reads one frame as it came.
func (c *client) frame() []byte {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	_, data, err := c.ws.Read(ctx)
	if err != nil {
		c.t.Fatalf("read: %v", err)
	}
	return data
}

// nextRaw returns the next message, taking array frames apart.
func (c *client) nextRaw() json.RawMessage {
	c.t.Helper()
	if len(c.pending) == 0 {
		data := c.frame()
		if bytes.HasPrefix(data, []byte("[")) {
			if err := json.Unmarshal(data, &c.pending); err != nil {
				c.t.Fatalf("array frame %s: %v", data, err)
			}
		} else {
			c.pending = []json.RawMessage{data}
		}
	}
	m := c.pending[0]
	c.pending = c.pending[1:]
	return m
}

// next returns the next message decoded.
func (c *client) next() map[string]any {
	c.t.Helper()
	raw := c.nextRaw()
	var m map[string]any
	if err := json.Unmarshal(raw, &m); err != nil {
		c.t.Fatalf("message %s: %v", raw, err)
	}
	return m
}

func (c *client) send(text string) {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	if err := c.ws.Write(ctx, websocket.MessageText, []byte(text)); err != nil {
		c.t.Fatalf("write %s: %v", text, err)
	}
}

func (c *client) sendJSON(v any) {
	c.t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		c.t.Fatal(err)
	}
	c.send(string(b))
}

// closed waits for the server to close the connection and returns the close status.
func (c *client) closed() websocket.StatusCode {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for {
		if _, _, err := c.ws.Read(ctx); err != nil { // messages sent before the close are skipped
			if errors.Is(err, context.DeadlineExceeded) {
				c.t.Fatal("connection still open")
			}
			return websocket.CloseStatus(err)
		}
	}
}

// subscribe subscribes to eventType ("" = all) with id and checks the result.
func (c *client) subscribe(id int, eventType string) {
	c.t.Helper()
	msg := map[string]any{"id": id, "type": "subscribe_events"}
	if eventType != "" {
		msg["event_type"] = eventType
	}
	c.sendJSON(msg)
	if got := c.next(); got["success"] != true || got["id"] != float64(id) {
		c.t.Fatalf("subscribe_events %q: %v", eventType, got)
	}
}

// untilEvent reads messages until an event of type eventType and returns it; the others are
// returned too, in order, before it.
func (c *client) untilEvent(eventType string) (before []map[string]any, ev map[string]any) {
	c.t.Helper()
	for {
		m := c.next()
		if e, ok := m["event"].(map[string]any); ok && e["event_type"] == eventType {
			return before, m
		}
		before = append(before, m)
	}
}

func TestNewValidates(t *testing.T) {
	for _, cfg := range []Config{
		{},
		{Token: "a", UserToken: "a"},
		{Token: "a", Version: `2025"`},
	} {
		if _, err := New(cfg, nil); err == nil {
			t.Errorf("New(%+v) = nil error, want one", cfg)
		}
	}
}

func TestRunTwice(t *testing.T) {
	s, _ := startSim(t, Config{})
	if err := s.Run(context.Background()); err == nil {
		t.Error("second Run() = nil, want an error")
	}
}
