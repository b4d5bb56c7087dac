//go:build realha

package realha

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/hatest"
)

// haEvents subscribes to every event of h as its owner and returns them on a channel until the
// test ends.
func haEvents(t *testing.T, h *hatest.Home) <-chan hatest.Event {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	ws, err := hatest.DialWS(ctx, h.URL, h.Owner.Token)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if err := ws.Subscribe(ctx, ""); err != nil {
		cancel()
		t.Fatal(err)
	}
	out := make(chan hatest.Event, 4096)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(out)
		for {
			ev, err := ws.NextEvent(ctx)
			if err != nil {
				return
			}
			select {
			case out <- ev:
			default: // nobody reads any more
			}
		}
	}()
	t.Cleanup(func() { cancel(); ws.Close(); <-done })
	return out
}

// eventData decodes a Home Assistant event's data.
func eventData(ev hatest.Event) map[string]any {
	var m map[string]any
	_ = json.Unmarshal(ev.Data, &m)
	return m
}

func entityOf(ev hatest.Event) string {
	id, _ := eventData(ev)["entity_id"].(string)
	return id
}

// Events of each type the seeds name, caused through Home Assistant's REST API, reach hasse's
// clients in both wire formats: named carries Home Assistant's event exactly (SPEC.md §4.3's
// rule), envelope has the seeds' shape with Home Assistant's values.
func TestEveryEventTypeInBothFormats(t *testing.T) {
	ctx := t.Context()
	truth := haEvents(t, home)
	s := serve(t, home)
	s.waitConnected(t, 30*time.Second)
	const types = "events=state_changed,call_service,automation_triggered,script_started"
	env := open(t, s, "envelope", types+"&format=envelope", home.Owner.Token)
	named := open(t, s, "named", types+"&format=named", home.Owner.Token)
	env.await(t, 10*time.Second, "connection event", ofType("connection"))
	named.await(t, 10*time.Second, "connected event", ofType("connected"))

	// From a known start: the presence off (its turning on triggers the automation) and the
	// kitchen light off (the automation turns it on). Earlier tests may have left either on.
	for _, e := range []string{"input_boolean.kitchen_presence", "light.kitchen"} {
		if err := home.CallService(ctx, "homeassistant", "turn_off", map[string]any{"entity_id": e}); err != nil {
			t.Fatal(err)
		}
	}
	marker := fmt.Sprintf("realha-%d", time.Now().UnixNano())
	if err := home.CallService(ctx, "script", "make_tea", map[string]any{"marker": marker}); err != nil {
		t.Fatal(err)
	}
	if err := home.CallService(ctx, "input_boolean", "turn_on", map[string]any{"entity_id": "input_boolean.kitchen_presence"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx := context.Background()
		_ = home.CallService(ctx, "input_boolean", "turn_off", map[string]any{"entity_id": "input_boolean.kitchen_presence"})
		_ = home.CallService(ctx, "light", "turn_off", map[string]any{"entity_id": "light.kitchen"})
	})

	// What Home Assistant itself says happened: the script's call and start, the automation the
	// presence triggered, and the states they changed.
	wanted := map[string]func(hatest.Event) bool{
		"call_service script.make_tea": func(ev hatest.Event) bool {
			d := eventData(ev)
			sd, _ := d["service_data"].(map[string]any)
			return ev.EventType == "call_service" && d["domain"] == "script" && sd["marker"] == marker
		},
		"script_started script.make_tea": func(ev hatest.Event) bool {
			return ev.EventType == "script_started" && entityOf(ev) == "script.make_tea"
		},
		"call_service timer.start": func(ev hatest.Event) bool {
			d := eventData(ev)
			return ev.EventType == "call_service" && d["domain"] == "timer" && d["service"] == "start"
		},
		"state_changed timer.tea": func(ev hatest.Event) bool {
			return ev.EventType == "state_changed" && entityOf(ev) == "timer.tea"
		},
		"automation_triggered kitchen_light_on_motion": func(ev hatest.Event) bool {
			return ev.EventType == "automation_triggered" && entityOf(ev) == "automation.kitchen_light_on_motion"
		},
		"state_changed light.kitchen": func(ev hatest.Event) bool {
			return ev.EventType == "state_changed" && entityOf(ev) == "light.kitchen"
		},
	}
	got := map[string]hatest.Event{}
	deadline := time.After(30 * time.Second)
	for len(got) < len(wanted) {
		select {
		case ev, ok := <-truth:
			if !ok {
				t.Fatal("Home Assistant's own subscription ended")
			}
			for name, match := range wanted {
				if _, done := got[name]; !done && match(ev) {
					got[name] = ev
				}
			}
		case <-deadline:
			t.Fatalf("Home Assistant fired only %v of %v within 30s", slices.Sorted(maps.Keys(got)), len(wanted))
		}
	}

	for _, name := range slices.Sorted(maps.Keys(got)) {
		ev := got[name]
		t.Run(name, func(t *testing.T) {
			checkNamed(t, named, ev)
			checkEnvelope(t, env, ev)
		})
	}
}

// sameEvent tells whether an SSE event is Home Assistant's ev: the same type, time fired and
// entity (time_fired is to the microsecond).
func sameEvent(ev hatest.Event, typ, timestamp, entity string) bool {
	return typ == ev.EventType && timestamp == ev.TimeFired && entity == entityOf(ev)
}

// checkNamed: `event: <type>`, and data is {"event_type"} + Home Assistant's data + time_fired,
// origin and context, all as Home Assistant sent them.
func checkNamed(t *testing.T, named *stream, ev hatest.Event) {
	t.Helper()
	got := named.await(t, 15*time.Second, "named "+ev.EventType, func(e sse.Event) bool {
		d := data(e)
		ts, _ := d["time_fired"].(string)
		entity, _ := d["entity_id"].(string)
		return sameEvent(ev, e.Type, ts, entity)
	})
	want := eventData(ev)
	want["event_type"] = ev.EventType
	want["time_fired"] = ev.TimeFired
	want["origin"] = ev.Origin
	var c any
	_ = json.Unmarshal(ev.Context, &c)
	want["context"] = c
	if diff := cmp.Diff(want, data(got)); diff != "" {
		t.Errorf("named %s differs from Home Assistant's event (-HA +hasse):\n%s", ev.EventType, diff)
	}
	if got.LastEventID == "" {
		t.Error("named event without an SSE id")
	}
}

// aliases are the envelope's names (SPEC.md §4.2).
var aliases = map[string]string{"call_service": "service_called", "script_started": "script_executed"}

func alias(t string) string {
	if a, ok := aliases[t]; ok {
		return a
	}
	return t
}

// checkEnvelope: SPEC.md §4.3's envelope with Home Assistant's values.
func checkEnvelope(t *testing.T, env *stream, ev hatest.Event) {
	t.Helper()
	got := env.await(t, 15*time.Second, "envelope "+alias(ev.EventType), func(e sse.Event) bool {
		d := data(e)
		if d["type"] != alias(ev.EventType) {
			return false
		}
		ts, _ := d["timestamp"].(string)
		inner, _ := d["data"].(map[string]any)
		entity, _ := inner["entity_id"].(string)
		return sameEvent(ev, ev.EventType, ts, entity)
	})
	d := data(got)
	haData := eventData(ev)
	if d["id"] != got.LastEventID || got.LastEventID == "" {
		t.Errorf("envelope id %v, SSE id %q", d["id"], got.LastEventID)
	}
	keys := []string{"data", "domain", "entity_id", "id", "timestamp", "type"}
	switch ev.EventType {
	case "state_changed":
		keys = append(keys, "state")
		newState, _ := haData["new_state"].(map[string]any)
		want := maps.Clone(newState)
		want["old_state"] = haData["old_state"]
		if diff := cmp.Diff(want, d["data"]); diff != "" {
			t.Errorf("envelope state_changed data is not the new state with old_state (-HA +hasse):\n%s", diff)
		}
		if d["state"] != newState["state"] || d["entity_id"] != haData["entity_id"] {
			t.Errorf("envelope state %v entity %v; Home Assistant: %v %v", d["state"], d["entity_id"], newState["state"], haData["entity_id"])
		}
	case "call_service":
		if _, ok := d["entity_id"]; !ok {
			keys = slices.DeleteFunc(keys, func(k string) bool { return k == "entity_id" })
		}
		if diff := cmp.Diff(haData, d["data"]); diff != "" {
			t.Errorf("envelope service_called data differs from Home Assistant's (-HA +hasse):\n%s", diff)
		}
		if d["domain"] != haData["domain"] {
			t.Errorf("envelope domain %v, service's %v", d["domain"], haData["domain"])
		}
	case "automation_triggered", "script_started":
		idKey := map[string]string{"automation_triggered": "automation_id", "script_started": "script_id"}[ev.EventType]
		inner, _ := d["data"].(map[string]any)
		for k, v := range haData {
			if !cmp.Equal(inner[k], v) {
				t.Errorf("envelope data[%q] = %v, Home Assistant's %v", k, inner[k], v)
			}
		}
		if id, _ := inner[idKey].(string); id == "" {
			t.Errorf("envelope data has no %s: %v", idKey, inner)
		}
		if d["entity_id"] != haData["entity_id"] || d["domain"] != strings.Split(ev.EventType, "_")[0] {
			t.Errorf("envelope entity_id %v domain %v", d["entity_id"], d["domain"])
		}
	}
	if d["timestamp"] != ev.TimeFired {
		t.Errorf("envelope timestamp %v, time_fired %v", d["timestamp"], ev.TimeFired)
	}
	slices.Sort(keys)
	if diff := cmp.Diff(slices.Sorted(maps.Keys(d)), keys); diff != "" {
		t.Errorf("envelope %s keys (-hasse +SPEC):\n%s", ev.EventType, diff)
	}
}
