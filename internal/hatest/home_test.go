//go:build realha

package hatest

import (
	"slices"
	"testing"
	"time"
)

// The helper against the real thing: a start makes the owner, the guest and the areas; a
// restart in the same folder keeps them; a slow start shows the start-up window; a revoked token
// is refused, and Home Assistant notes the failed login after it has answered.
func TestHome(t *testing.T) {
	if err := CheckVenv(VenvDir(), "../../scripts/homeassistant.lock"); err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	began := time.Now()
	h, err := Start(ctx, Options{})
	if err != nil {
		t.Fatal(err)
	}
	defer h.Close()
	t.Logf("started, onboarded and RUNNING in %v", time.Since(began).Round(time.Millisecond))

	states, err := h.States(ctx)
	if err != nil {
		t.Fatal(err)
	}
	ids := make([]string, len(states))
	for i, s := range states {
		ids[i] = s.EntityID
	}
	for _, want := range []string{"light.kitchen", "switch.coffee_machine", "automation.heartbeat", "script.good_night", "sun.sun", "timer.tea"} {
		if !slices.Contains(ids, want) {
			t.Errorf("no %s in %v", want, ids)
		}
	}
	var entry struct {
		AreaID string `json:"area_id"`
	}
	if err := h.Command(ctx, h.Owner.Token, map[string]any{"type": "config/entity_registry/get", "entity_id": "light.kitchen"}, &entry); err != nil || entry.AreaID != "kitchen" {
		t.Errorf("light.kitchen's area: %q, %v", entry.AreaID, err)
	}

	if err := h.CallService(ctx, "light", "turn_on", map[string]any{"entity_id": "light.kitchen"}); err != nil {
		t.Fatal(err)
	}
	began = time.Now()
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	if err := h.Resume(ctx); err != nil {
		t.Fatal(err)
	}
	t.Logf("stopped and RUNNING again in %v", time.Since(began).Round(time.Millisecond))
	if err := h.Command(ctx, h.Guest.Token, map[string]any{"type": "get_config"}, nil); err != nil {
		t.Fatalf("the guest's token after a restart: %v", err)
	}

	// A slow start shows Home Assistant's start-up window: HTTP and the WebSocket API answer
	// while an integration is still setting up (NOT_RUNNING, its entities absent), then it is
	// RUNNING with unavailable placeholders (restored: true) until the entities come.
	if err := h.Stop(); err != nil {
		t.Fatal(err)
	}
	h.SlowSetup, h.SlowEntities = 10*time.Second, 8*time.Second
	defer func() { h.SlowSetup, h.SlowEntities = 0, 0 }()
	if err := h.Launch(); err != nil {
		t.Fatal(err)
	}
	if err := h.WaitHTTP(ctx); err != nil {
		t.Fatal(err)
	}
	var phases []string
	for len(phases) == 0 || phases[len(phases)-1] != "RUNNING, real" {
		state, garage := startPhase(t, h)
		phase := state + ", " + garage
		if len(phases) == 0 || phases[len(phases)-1] != phase {
			phases = append(phases, phase)
			t.Logf("%v after launch: %s", time.Since(h.started).Round(time.Millisecond), phase)
		}
		if time.Since(h.started) > 2*time.Minute {
			t.Fatalf("the garage sensors never came: %v", phases)
		}
		time.Sleep(200 * time.Millisecond) // polling a real server, not a timing assertion
	}
	want := []string{"NOT_RUNNING, absent", "RUNNING, restored", "RUNNING, real"}
	if !slices.Equal(phases, want) && !slices.Equal(phases, []string{want[0], "STARTING, restored", want[1], want[2]}) {
		t.Errorf("start-up phases %v, want %v", phases, want)
	}

	if err := h.RevokeToken(ctx, h.Guest); err != nil {
		t.Fatal(err)
	}
	if err := h.Command(ctx, h.Guest.Token, map[string]any{"type": "get_config"}, nil); err == nil {
		t.Fatal("a revoked token still works")
	}
	// Home Assistant counts the refusal after it has answered and before it closes the
	// connection, which Command waits for (DialWS): the notification is there already.
	notes, err := h.Notifications(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if len(notes) == 0 {
		t.Fatal("no notification of the failed login once Home Assistant closed the refused connection")
	}
	t.Logf("notifications: %+v", notes)
	bans, err := h.BannedIPs()
	if err != nil || len(bans) != 0 {
		t.Errorf("bans after one refused token: %v, %v", bans, err)
	}
}

// startPhase is get_config's state and what get_states says of the slow integration's garage
// sensors: absent, restored (placeholders) or real.
func startPhase(t *testing.T, h *Home) (state, garage string) {
	t.Helper()
	ctx := t.Context()
	ws, err := DialWS(ctx, h.URL, h.Owner.Token)
	if err != nil {
		t.Fatal(err)
	}
	defer ws.Close()
	var cfg struct {
		State string `json:"state"`
	}
	var states []State
	if err := ws.Do(ctx, map[string]any{"type": "get_config"}, &cfg); err != nil {
		t.Fatal(err)
	}
	if err := ws.Do(ctx, map[string]any{"type": "get_states"}, &states); err != nil {
		t.Fatal(err)
	}
	garage = "absent"
	for _, st := range states {
		if st.EntityID == "sensor.garage_power" {
			garage = "real"
			if st.Attributes["restored"] == true {
				garage = "restored"
			}
		}
	}
	return cfg.State, garage
}
