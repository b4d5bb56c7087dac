package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"slices"
	"syscall"
	"testing"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

// readErr reads until the connection fails and returns the error.
func (c *client) readErr() error {
	c.t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
	defer cancel()
	for {
		if _, _, err := c.ws.Read(ctx); err != nil {
			if errors.Is(err, context.DeadlineExceeded) {
				c.t.Fatal("connection still open")
			}
			return err
		}
	}
}

// TestDropConnections checks that every connection is reset (no close frame, ECONNRESET) and
// that new connections are served.
func TestDropConnections(t *testing.T) {
	s, ts := startSim(t, Config{})
	a := login(t, ts, adminToken)
	a.subscribe(1, "")
	b := login(t, ts, userToken)
	s.DropConnections()
	for name, c := range map[string]*client{"subscribed": a, "idle": b} {
		err := c.readErr()
		if !errors.Is(err, syscall.ECONNRESET) || websocket.CloseStatus(err) != -1 {
			t.Errorf("%s client: read error %v, want a reset without close frame", name, err)
		}
	}
	c := login(t, ts, adminToken)
	c.subscribe(1, "state_changed")
	s.SetState("sensor.after_drop", "1", nil)
	if ev := c.next()["event"].(map[string]any); ev["data"].(map[string]any)["entity_id"] != "sensor.after_drop" {
		t.Errorf("after the drop got %v", ev)
	}
}

func TestRefuseAuth(t *testing.T) {
	for _, tc := range []struct {
		name     string
		cfg      Config
		refuse   []bool // RefuseAuth calls before logging in
		accepted bool
	}{
		{"default", Config{}, nil, true},
		{"RefuseAuth", Config{}, []bool{true}, false},
		{"RefuseAuth then back", Config{}, []bool{true, false}, true},
		{"FailAuth", Config{FailAuth: true}, nil, false},
		{"FailAuth then back", Config{FailAuth: true}, []bool{false}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := startSim(t, tc.cfg)
			for _, on := range tc.refuse {
				s.RefuseAuth(on)
			}
			for _, token := range []string{adminToken, userToken} {
				c := dial(t, ts)
				c.next() // auth_required
				c.sendJSON(map[string]any{"type": "auth", "access_token": token})
				want := map[string]any{"type": "auth_ok", "ha_version": DefaultVersion}
				if !tc.accepted {
					want = map[string]any{"type": "auth_invalid", "message": "Invalid access token or password"}
				}
				if diff := cmp.Diff(want, c.next()); diff != "" {
					t.Errorf("auth (-want +got):\n%s", diff)
				}
			}
			req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/", nil)
			req.Header.Set("Authorization", "Bearer "+adminToken)
			resp, err := ts.Client().Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if got := resp.StatusCode == http.StatusOK; got != tc.accepted {
				t.Errorf("GET /api/ = %d, want accepted %v", resp.StatusCode, tc.accepted)
			}
		})
	}
}

// TestSendOversized checks that the next event, and only it, is padded to n bytes of valid JSON
// meaning the same.
func TestSendOversized(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.subscribe(1, "state_changed")
	const n = 3 << 20 // beyond the 32 KiB many WebSocket libraries read by default
	s.SendOversized(n)
	s.SetState("sensor.big", "1", nil)
	s.SetState("sensor.big", "2", nil)
	big, small := c.frame(), c.frame()
	if len(big) != n || !json.Valid(big) {
		t.Fatalf("first event frame is %d bytes (valid JSON %v), want %d", len(big), json.Valid(big), n)
	}
	if len(small) > 4096 {
		t.Errorf("second event frame is %d bytes, want it normal", len(small))
	}
	var ev map[string]any
	decode(t, big, &ev)
	if ns := ev["event"].(map[string]any)["data"].(map[string]any)["new_state"].(map[string]any); ns["state"] != "1" || ev["id"] != 1.0 {
		t.Errorf("padded event %v, want sensor.big's first state for subscription 1", ev)
	}
}

// TestSendMalformed checks the two bad frames, each alone even when the client coalesces, and
// that the connection carries on.
func TestSendMalformed(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, adminToken)
	c.send(`{"id":1,"type":"supported_features","features":{"coalesce_messages":1}}`)
	c.next()
	c.subscribe(4, "state_changed")
	c.subscribe(6, "call_service")
	s.SendMalformed()
	junk, broken := c.frame(), c.frame()
	if json.Valid(junk) || !bytes.HasPrefix(junk, []byte(`{"type":"event"`)) {
		t.Errorf("first frame %s, want an event cut off (not JSON)", junk)
	}
	var ev map[string]any
	decode(t, broken, &ev)
	want := map[string]any{"id": 4.0, "type": "event", "event": map[string]any{
		"event_type": 42.0, "data": "light.kitchen is on", "time_fired": "yesterday", "context": nil}}
	if diff := cmp.Diff(want, ev); diff != "" {
		t.Errorf("second frame (-want +got):\n%s", diff)
	}
	c.send(`{"id":7,"type":"ping"}`)
	if got := c.next(); got["type"] != "pong" {
		t.Errorf("after the bad frames got %v, want a pong", got)
	}
}

// TestRestart checks a restart: a normal close for every client, then new connections see the
// changed home (entities changed, one added, one removed, registries following) and a second
// restart swaps the probes back.
func TestRestart(t *testing.T) {
	s, ts := startSim(t, Config{Seed: 5})
	c := login(t, ts, adminToken)
	c.subscribe(1, "")
	before := map[string]State{}
	for _, st := range s.States() {
		before[st.EntityID] = st
	}
	r := s.Restart()
	if got := c.closed(); got != websocket.StatusNormalClosure {
		t.Errorf("close status %v, want %v", got, websocket.StatusNormalClosure)
	}
	if diff := cmp.Diff(RestartReport{Changed: r.Changed, Added: []string{"sensor.shed_temperature"}, Removed: []string{"sensor.garage_temperature"}}, r); diff != "" {
		t.Errorf("first restart (-want +got):\n%s", diff)
	}
	for _, want := range []string{"camera.back_garden", "camera.driveway"} {
		if !slices.Contains(r.Changed, want) {
			t.Errorf("Changed %v lacks %s (new access token)", r.Changed, want)
		}
	}
	if len(r.Changed) < 5 {
		t.Errorf("Changed %v, want sensors, a light and the cameras", r.Changed)
	}

	c = login(t, ts, adminToken)
	c.send(`{"id":1,"type":"get_states"}`)
	var reply struct{ Result []map[string]any }
	decode(t, c.nextRaw(), &reply)
	after := map[string]map[string]any{}
	for _, st := range reply.Result {
		after[st["entity_id"].(string)] = st
	}
	var changed []string
	for id, st := range after {
		old, ok := before[id]
		if !ok {
			continue
		}
		if old.State != st["state"] || !equalValues(jsonValue(t, old.Attributes), st["attributes"]) {
			changed = append(changed, id)
		}
		if st["last_changed"].(string) <= isoformat(old.LastChanged) {
			t.Errorf("%s: last_changed %v not after the restart", id, st["last_changed"])
		}
	}
	slices.Sort(changed)
	if diff := cmp.Diff(r.Changed, changed); diff != "" {
		t.Errorf("get_states after the restart vs the report (-report +get_states):\n%s", diff)
	}
	if _, ok := after["sensor.garage_temperature"]; ok {
		t.Error("sensor.garage_temperature is still there")
	}
	reg := s.Registries()
	ids := func() []string {
		var out []string
		for _, e := range reg.Entities {
			out = append(out, e.EntityID)
		}
		return out
	}()
	if !slices.Contains(ids, "sensor.shed_temperature") || slices.Contains(ids, "sensor.garage_temperature") {
		t.Errorf("entity registry does not follow the swap")
	}

	r2 := s.Restart()
	if !slices.Equal(r2.Added, []string{"sensor.garage_temperature"}) || !slices.Equal(r2.Removed, []string{"sensor.shed_temperature"}) {
		t.Errorf("second restart added %v, removed %v; want the garage probe back", r2.Added, r2.Removed)
	}
	c.closed()
}
