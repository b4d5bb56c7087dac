package main

import (
	"context"
	"encoding/json"
	"errors"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"hasse/internal/halink"
	"hasse/internal/hass"
)

// sink hands what hasse's Home Assistant client reads to the test.
type sink struct {
	events    chan *hass.Event
	connected chan []hass.State
}

func (s sink) Publish(ev *hass.Event)        { s.events <- ev }
func (s sink) Connected(states []hass.State) { s.connected <- states }
func (sink) Disconnected()                   {}

// startFakeHA serves a fake Home Assistant with token and lights until the test ends.
func startFakeHA(t *testing.T, token string, lights int) (*fakeHA, *httptest.Server) {
	ha := newFakeHA(token, lights)
	srv := httptest.NewServer(ha.handler())
	t.Cleanup(func() { ha.close(); srv.Close() })
	return ha, srv
}

// hasse's own link to Home Assistant connects, reads the registries and the states, and gets
// every event published, stamped.
func TestFakeHAServesHasse(t *testing.T) {
	ha, srv := startFakeHA(t, "bench", 3)
	c, err := halink.New(halink.Config{URL: srv.URL, Token: "bench"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	s := sink{events: make(chan *hass.Event, 16), connected: make(chan []hass.State, 1)}
	done := make(chan error)
	go func() { done <- c.Run(ctx, s) }()
	defer func() { cancel(); <-done }()

	states := <-s.connected
	var got []string
	for _, st := range states {
		got = append(got, st.EntityID+"="+st.State)
	}
	if diff := cmp.Diff([]string{"light.bench_0=off", "light.bench_1=off", "light.bench_2=off"}, got); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
	if err := ha.waitSubscribed(ctx); err != nil {
		t.Fatal(err)
	}
	if p := c.RegistryProblem(); p != "" {
		t.Errorf("RegistryProblem() = %q, want none: the registries are served", p)
	}
	st, changed := c.Watch()
	for ; !st.Connected; st, changed = c.Watch() {
		<-changed
	}
	if st.HAVersion != haVersion {
		t.Errorf("HAVersion = %q, want %q", st.HAVersion, haVersion)
	}
	before := time.Now().UnixNano()
	for seq := range int64(6) {
		if err := ha.publish(ctx, seq); err != nil {
			t.Fatalf("publish(%d): %v", seq, err)
		}
	}
	for seq := range 6 {
		ev := <-s.events
		want := map[bool]string{true: "on", false: "off"}[seq < 3] // each light toggles twice
		if ev.Type != "state_changed" || ev.EntityID != entityID(seq%3) || ev.State != want || !ev.StateChanged {
			t.Errorf("event %d: %s %s state %q (changed %v), want state_changed of %s to %q",
				seq, ev.Type, ev.EntityID, ev.State, ev.StateChanged, entityID(seq%3), want)
		}
		if stamp, ok := findStamp(ev.NewState); !ok || stamp < before {
			t.Errorf("event %d: new_state %s has stamp %d, %v; want one after %d", seq, ev.NewState, stamp, ok, before)
		}
	}
	u, err := c.CurrentUser(ctx, "bench")
	if err != nil || u.ID != benchUserID || !u.IsAdmin {
		t.Errorf("CurrentUser = %+v, %v; want the admin %s", u, err, benchUserID)
	}
}

// A token the fake Home Assistant does not accept is refused as Home Assistant refuses it.
func TestFakeHARefusesToken(t *testing.T) {
	_, srv := startFakeHA(t, "bench", 1)
	c, err := halink.New(halink.Config{URL: srv.URL, Token: "wrong"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	done := make(chan error)
	go func() { done <- c.Run(ctx, sink{}) }()
	defer func() { cancel(); <-done }()
	for {
		st, changed := c.Watch()
		if st.LastError != nil {
			if !errors.Is(st.LastError, halink.ErrAuthInvalid) {
				t.Errorf("LastError = %v, want one wrapping ErrAuthInvalid", st.LastError)
			}
			return
		}
		<-changed
	}
}

// The protocol's rules, message by message (HA-PROTOCOL.md §2–§6, §12).
func TestFakeHAProtocol(t *testing.T) {
	ha, srv := startFakeHA(t, "bench", 2)
	ctx := t.Context()
	ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.CloseNow()
	read := func() map[string]any {
		t.Helper()
		_, b, err := ws.Read(ctx)
		if err != nil {
			t.Fatalf("read: %v", err)
		}
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatalf("read %s: %v", b, err)
		}
		return m
	}
	send := func(s string) {
		t.Helper()
		if err := ws.Write(ctx, websocket.MessageText, []byte(s)); err != nil {
			t.Fatalf("write %s: %v", s, err)
		}
	}
	errorReply := func(id any, code string) map[string]any {
		return map[string]any{"id": id, "type": "result", "success": false, "error": map[string]any{"code": code, "message": map[string]string{
			"id_reuse": "Identifier values have to increase.", "invalid_format": "Message incorrectly formatted.",
			"unknown_command": "Unknown command.", "not_found": "Subscription not found.",
		}[code]}}
	}
	pong := func(id float64) map[string]any { return map[string]any{"id": id, "type": "pong"} }
	ok := func(id float64) map[string]any {
		return map[string]any{"id": id, "type": "result", "success": true, "result": nil}
	}

	if diff := cmp.Diff(map[string]any{"type": "auth_required", "ha_version": haVersion}, read()); diff != "" {
		t.Fatalf("first message (-want +got):\n%s", diff)
	}
	send(`{"type":"auth","access_token":"bench"}`)
	if diff := cmp.Diff(map[string]any{"type": "auth_ok", "ha_version": haVersion}, read()); diff != "" {
		t.Fatalf("reply to auth (-want +got):\n%s", diff)
	}
	for _, tc := range []struct {
		name string
		send string
		want []map[string]any
	}{
		{"ping", `{"id":1,"type":"ping"}`, []map[string]any{pong(1)}},
		{"an id again", `{"id":1,"type":"ping"}`, []map[string]any{errorReply(1.0, "id_reuse")}},
		{"an id that is a string", `{"id":"2","type":"ping"}`, []map[string]any{errorReply("2", "invalid_format")}},
		{"no id", `{"type":"ping"}`, []map[string]any{errorReply(nil, "invalid_format")}},
		{"an unknown command", `{"id":3,"type":"no_such_command"}`, []map[string]any{errorReply(3.0, "unknown_command")}},
		{"which does not use its id up", `{"id":3,"type":"ping"}`, []map[string]any{pong(3)}},
		{"a batch", `[{"id":4,"type":"ping"},{"id":6,"type":"ping"}]`, []map[string]any{pong(4), pong(6)}},
		{"unsubscribe nothing", `{"id":7,"type":"unsubscribe_events","subscription":99}`, []map[string]any{errorReply(7.0, "not_found")}},
		{"subscribe to another event type", `{"id":8,"type":"subscribe_events","event_type":"call_service"}`, []map[string]any{ok(8)}},
		{"and unsubscribe", `{"id":9,"type":"unsubscribe_events","subscription":8}`, []map[string]any{ok(9)}},
		{"supported_features", `{"id":10,"type":"supported_features","features":{"coalesce_messages":1}}`, []map[string]any{ok(10)}},
	} {
		send(tc.send)
		var got []map[string]any
		for range tc.want {
			got = append(got, read())
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: %s gives (-want +got):\n%s", tc.name, tc.send, diff)
		}
	}
	if err := ha.publish(ctx, 0); !errors.Is(err, errNoSubscriber) {
		t.Errorf("publish with only a call_service subscription: %v, want errNoSubscriber", err)
	}
	send(`{"id":11,"type":"get_config"}`)
	if cfg := read(); cfg["result"].(map[string]any)["state"] != "RUNNING" {
		t.Errorf("get_config = %v, want state RUNNING", cfg)
	}
	send(`{"id":12,"type":"subscribe_events","event_type":"state_changed"}`)
	if diff := cmp.Diff(ok(12), read()); diff != "" {
		t.Errorf("subscribe_events (-want +got):\n%s", diff)
	}
	if err := ha.publish(ctx, 1); err != nil {
		t.Fatalf("publish: %v", err)
	}
	if ev := read(); ev["id"] != 12.0 || ev["type"] != "event" {
		t.Errorf("after publish: %v, want an event of subscription 12", ev)
	}
	send(`not json`)
	if _, _, err := ws.Read(ctx); err == nil {
		t.Errorf("after a frame that is not JSON: the connection is open, want it closed")
	}
}

func TestFakeHAAuthInvalid(t *testing.T) {
	_, srv := startFakeHA(t, "bench", 1)
	for _, tc := range []struct{ name, auth, message string }{
		{"wrong token", `{"type":"auth","access_token":"other"}`, "Invalid access token or password"},
		{"not an auth message", `{"id":1,"type":"ping"}`, "Auth message incorrectly formatted"},
	} {
		ctx := t.Context()
		ws, _, err := websocket.Dial(ctx, "ws"+strings.TrimPrefix(srv.URL, "http")+"/api/websocket", nil)
		if err != nil {
			t.Fatal(err)
		}
		_, _, _ = ws.Read(ctx) // auth_required
		_ = ws.Write(ctx, websocket.MessageText, []byte(tc.auth))
		_, b, err := ws.Read(ctx)
		var m struct{ Type, Message string }
		if err != nil || json.Unmarshal(b, &m) != nil || m.Type != "auth_invalid" || !strings.HasPrefix(m.Message, tc.message) {
			t.Errorf("%s: reply %s, %v; want auth_invalid %q", tc.name, b, err, tc.message)
		}
		if _, _, err := ws.Read(ctx); err == nil {
			t.Errorf("%s: the connection is open after auth_invalid, want it closed", tc.name)
		}
		ws.CloseNow()
	}
}
