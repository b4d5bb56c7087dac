package simulator

import (
	"maps"
	"slices"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"
)

// coreState reads get_config's state on c with command id.
func (c *client) coreState(id int) string {
	c.t.Helper()
	c.sendJSON(map[string]any{"id": id, "type": "get_config"})
	_, res := c.untilResult(id)
	return res["result"].(map[string]any)["state"].(string)
}

// states reads get_states on c with command id, by entity id.
func (c *client) states(id int) map[string]map[string]any {
	c.t.Helper()
	c.sendJSON(map[string]any{"id": id, "type": "get_states"})
	_, res := c.untilResult(id)
	out := map[string]map[string]any{}
	for _, st := range res["result"].([]any) {
		st := st.(map[string]any)
		out[st["entity_id"].(string)] = st
	}
	return out
}

// TestRestartStaged follows a staged start as a client connected at once sees it: the API
// answers while most integrations are not loaded, placeholders appear at HA's start and real
// states replace them, and homeassistant_started comes last, with the home as Restart leaves it.
func TestRestartStaged(t *testing.T) {
	s, ts := startSim(t, Config{Seed: 5})
	r := s.RestartStaged()
	if got := s.CoreState(); got != "NOT_RUNNING" {
		t.Errorf("CoreState() = %q right after RestartStaged, want NOT_RUNNING", got)
	}

	c := login(t, ts, adminToken)
	c.subscribe(1, "")
	if got := c.coreState(2); got != "NOT_RUNNING" {
		t.Errorf("get_config state %q, want NOT_RUNNING", got)
	}
	early := c.states(3)
	for _, id := range []string{"sun.sun", "light.kitchen", "person.alex"} {
		if _, ok := early[id]; !ok {
			t.Errorf("%s missing before HA's start; its integration sets up first", id)
		}
	}
	for _, id := range []string{"sensor.kitchen_temperature", "lock.front_door", "automation.kitchen_lights_on_motion"} {
		if st, ok := early[id]; ok {
			t.Errorf("%s is %v before HA's start, want it missing", id, st)
		}
	}
	s.Step() // the home holds still while starting
	if got := len(s.States()); got != len(early) {
		t.Errorf("%d states after a Step while starting, want the %d loaded", got, len(early))
	}

	if s.ContinueStart() {
		t.Fatal("ContinueStart() = running after the first stage")
	}
	before, _ := c.untilEvent("homeassistant_start")
	if len(before) != 1 || before[0]["event"].(map[string]any)["event_type"] != "core_config_updated" {
		t.Errorf("before homeassistant_start: %v, want core_config_updated", before)
	}
	if got := c.coreState(4); got != "STARTING" {
		t.Errorf("get_config state %q after HA's start, want STARTING", got)
	}
	mid := c.states(5)
	lock, auto := mid["lock.front_door"], mid["automation.kitchen_lights_on_motion"]
	if lock == nil || lock["state"] == "unavailable" {
		t.Errorf("lock.front_door %v after stage 1, want loaded", lock)
	}
	wantPlaceholder := map[string]any{"restored": true, "friendly_name": "Kitchen lights on motion"}
	if auto == nil || auto["state"] != "unavailable" || !cmp.Equal(wantPlaceholder, auto["attributes"]) {
		t.Errorf("automation.kitchen_lights_on_motion %v, want a placeholder %v", auto, wantPlaceholder)
	}

	if !s.ContinueStart() {
		t.Fatal("ContinueStart() = not running after the second stage")
	}
	loads, _ := c.untilEvent("homeassistant_started")
	var loaded []string
	for _, m := range loads {
		e := m["event"].(map[string]any)
		if e["event_type"] != "state_changed" {
			continue
		}
		d := e["data"].(map[string]any)
		old, _ := d["old_state"].(map[string]any)
		if d["entity_id"] == "automation.kitchen_lights_on_motion" && (old == nil || old["state"] != "unavailable") {
			t.Errorf("the automation loaded from %v, want from its placeholder", old)
		}
		loaded = append(loaded, d["entity_id"].(string))
	}
	if !slices.Contains(loaded, "automation.kitchen_lights_on_motion") || !slices.Contains(loaded, "camera.driveway") {
		t.Errorf("the last stage loaded %v, want the automations and cameras among them", loaded)
	}
	if got := c.coreState(6); got != "RUNNING" || s.CoreState() != "RUNNING" || !s.ContinueStart() {
		t.Errorf("get_config state %q after homeassistant_started, want RUNNING", got)
	}

	final := c.states(7)
	for id, st := range final {
		if st["state"] == "unavailable" || st["attributes"].(map[string]any)["restored"] != nil {
			t.Errorf("%s is still a placeholder once running: %v", id, st)
		}
	}
	if _, ok := final["sensor.shed_temperature"]; !ok || !slices.Equal(r.Added, []string{"sensor.shed_temperature"}) {
		t.Errorf("the paired probe: report %v, in states %v", r.Added, ok)
	}
	if got, want := slices.Sorted(maps.Keys(final)), entityIDs(s.States()); !slices.Equal(got, want) {
		t.Errorf("get_states once running lists %v, the state machine %v", got, want)
	}
}

func entityIDs(states []State) []string {
	var ids []string
	for _, st := range states {
		ids = append(ids, st.EntityID)
	}
	return ids
}

// TestStartupTime checks that Config.StartupTime moves a restart's start on by itself: half of
// it in NOT_RUNNING, half in STARTING.
func TestStartupTime(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, login := startPipeSim(t, Config{StartupTime: time.Minute})
		start := time.Now()
		s.Restart()
		c := login(adminToken, nil)
		c.subscribe(1, "")
		if got := c.coreState(2); got != "NOT_RUNNING" {
			t.Errorf("get_config state %q right after the restart, want NOT_RUNNING", got)
		}
		msgs, _ := readAll(c) // a frame may take the whole fake minute to come
		until := func(eventType string) {
			t.Helper()
			for data := range msgs {
				if strings.Contains(string(data), `"event_type":"`+eventType+`"`) {
					return
				}
			}
			t.Fatalf("no %s", eventType)
		}
		until("homeassistant_start")
		if got := time.Since(start); got != 30*time.Second {
			t.Errorf("homeassistant_start %v after the restart, want 30s", got)
		}
		until("homeassistant_started")
		if got := time.Since(start); got != time.Minute || s.CoreState() != "RUNNING" {
			t.Errorf("homeassistant_started %v after the restart (state %s), want 1m and RUNNING", got, s.CoreState())
		}
	})
}

// TestThrottle checks Throttle: what the simulator sends goes at the rate set, on the fake clock,
// and at once again when it is lifted.
func TestThrottle(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, login := startPipeSim(t, Config{})
		c := login(adminToken, nil)
		const rate = 10 << 10
		s.Throttle(rate)
		msgs, _ := readAll(c)
		start := time.Now()
		c.send(`{"id":1,"type":"get_states"}`)
		reply := <-msgs
		want := time.Duration(len(reply)) * time.Second / rate
		if got := time.Since(start); got < want || got > want+200*time.Millisecond {
			t.Errorf("get_states, %d bytes at %d bytes/s, came in %v, want about %v", len(reply), rate, got, want)
		}
		s.Throttle(0)
		start = time.Now()
		c.send(`{"id":2,"type":"get_states"}`)
		<-msgs
		if got := time.Since(start); got != 0 {
			t.Errorf("get_states came in %v unthrottled, want at once", got)
		}
	})
}
