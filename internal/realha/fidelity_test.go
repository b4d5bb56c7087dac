//go:build realha

package realha

import (
	"context"
	"encoding/json"
	"errors"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"

	"hasse/internal/hatest"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// peer is a Home Assistant to ask: the real one or the simulator.
type peer struct {
	name, url, admin, user string
	// callLight switches light.kitchen through the peer's own means.
	callLight func(ctx context.Context) error
}

// simulated starts the simulator as Home Assistant 2024.3.3, in this process, for the test.
func simulated(t *testing.T) peer {
	t.Helper()
	sim := simtest.Start(t, simulator.Config{Token: "sim-admin", UserToken: "sim-user", Version: hatest.Version, Rate: -1})
	p := peer{name: "simulator", url: sim.URL, admin: "sim-admin", user: "sim-user"}
	p.callLight = func(ctx context.Context) error { return wsCallLight(ctx, p) }
	return p
}

func real() peer {
	p := peer{name: "Home Assistant", url: home.URL, admin: home.Owner.Token, user: home.Guest.Token}
	p.callLight = func(ctx context.Context) error { return wsCallLight(ctx, p) }
	return p
}

// wsCallLight toggles light.kitchen with call_service over the WebSocket API, as hasse's users'
// automations would.
func wsCallLight(ctx context.Context, p peer) error {
	return command(ctx, p, p.admin, map[string]any{"type": "call_service", "domain": "light", "service": "toggle",
		"target": map[string]any{"entity_id": "light.kitchen"}}, nil)
}

func command(ctx context.Context, p peer, token string, msg map[string]any, out any) error {
	ws, err := hatest.DialWS(ctx, p.url, token)
	if err != nil {
		return err
	}
	defer ws.Close()
	return ws.Do(ctx, msg, out)
}

// keysOf is the sorted union of the keys of the objects in list.
func keysOf(list []map[string]any) []string {
	keys := map[string]bool{}
	for _, m := range list {
		for k := range m {
			keys[k] = true
		}
	}
	return slices.Sorted(maps.Keys(keys))
}

// question is one thing asked of both peers; the answers must be equal.
type question struct {
	name string
	ask  func(t *testing.T, p peer) any
}

// listKeys asks a registry list (or get_states) and answers which of the keys named its entries
// have (all their keys when none are named), or the error code.
func listKeys(command string, named ...string) func(t *testing.T, p peer) any {
	return func(t *testing.T, p peer) any {
		var list []map[string]any
		err := commandOf(t, p, p.admin, map[string]any{"type": command}, &list)
		if err != nil {
			return err.Error()
		}
		keys := keysOf(list)
		if len(named) > 0 {
			keys = slices.DeleteFunc(keys, func(k string) bool { return !slices.Contains(named, k) })
		}
		return keys
	}
}

func commandOf(t *testing.T, p peer, token string, msg map[string]any, out any) error {
	t.Helper()
	err := command(t.Context(), p, token, msg, out)
	var refused *hatest.CommandError
	if err != nil && !errors.As(err, &refused) {
		t.Fatalf("%s: %v", p.name, err)
	}
	if refused != nil {
		return errors.New("error " + refused.Code)
	}
	return nil
}

// eventShapes toggles light.kitchen and answers the keys of the call_service and state_changed
// events it causes, as an admin's subscribe_events delivers them.
func eventShapes(t *testing.T, p peer) any {
	ctx, cancel := context.WithTimeout(t.Context(), 20*time.Second)
	defer cancel()
	conn, _, err := websocket.Dial(ctx, strings.Replace(p.url, "http", "ws", 1)+"/api/websocket", nil)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.CloseNow()
	conn.SetReadLimit(64 << 20)
	read := func() map[string]any {
		_, b, err := conn.Read(ctx)
		if err != nil {
			t.Fatalf("%s: %v", p.name, err)
		}
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		return m
	}
	write := func(v any) {
		b, _ := json.Marshal(v)
		if err := conn.Write(ctx, websocket.MessageText, b); err != nil {
			t.Fatal(err)
		}
	}
	read()
	write(map[string]any{"type": "auth", "access_token": p.admin})
	read()
	write(map[string]any{"id": 1, "type": "subscribe_events"})
	read()
	if err := p.callLight(ctx); err != nil {
		t.Fatal(err)
	}
	shapes := map[string]any{}
	for len(shapes) < 2 {
		msg := read()
		ev, _ := msg["event"].(map[string]any)
		data, _ := ev["data"].(map[string]any)
		typ, _ := ev["event_type"].(string)
		switch {
		case typ == "call_service" && data["domain"] == "light":
			ctxKeys, _ := ev["context"].(map[string]any)
			shapes["call_service"] = map[string]any{"event": keysOf([]map[string]any{ev}), "data": keysOf([]map[string]any{data}),
				"context": keysOf([]map[string]any{ctxKeys})}
		case typ == "state_changed" && data["entity_id"] == "light.kitchen":
			newState, _ := data["new_state"].(map[string]any)
			shapes["state_changed"] = map[string]any{"event": keysOf([]map[string]any{ev}), "data": keysOf([]map[string]any{data}),
				"new_state": keysOf([]map[string]any{newState})}
		}
	}
	return shapes
}

// The simulator, set to Home Assistant 2024.3.3, answers what hasse asks as the real 2024.3.3
// does, in shape: the keys of states, events and registry entries, the commands it knows, what a
// non-admin may subscribe to. (Values differ: they are two different homes.)
func fidelityQuestions() []question {
	return []question{
		{"get_states: the keys of a state", listKeys("get_states")},
		// Of the registries' keys, those that say which version a home is: floors, labels and
		// categories, and those hasse reads.
		{"config/area_registry/list: an area's keys", listKeys("config/area_registry/list", "area_id", "name", "floor_id", "labels")},
		{"config/device_registry/list: a device's keys", listKeys("config/device_registry/list", "id", "area_id", "labels", "via_device_id")},
		{"config/entity_registry/list: an entry's keys", listKeys("config/entity_registry/list", "entity_id", "area_id", "device_id", "labels", "categories")},
		{"config/label_registry/list", listKeys("config/label_registry/list")},
		{"config/floor_registry/list", listKeys("config/floor_registry/list")},
		{"get_config: state and version", func(t *testing.T, p peer) any {
			var cfg map[string]any
			if err := commandOf(t, p, p.admin, map[string]any{"type": "get_config"}, &cfg); err != nil {
				return err.Error()
			}
			return []any{cfg["state"], cfg["version"]}
		}},
		{"auth/current_user of the non-admin", func(t *testing.T, p peer) any {
			var u map[string]any
			if err := commandOf(t, p, p.user, map[string]any{"type": "auth/current_user"}, &u); err != nil {
				return err.Error()
			}
			return []any{keysOf([]map[string]any{u}), u["is_admin"], u["is_owner"]}
		}},
		{"subscribe_events: what the non-admin may subscribe to", func(t *testing.T, p peer) any {
			var allowed []string
			for _, et := range []string{"area_registry_updated", "component_loaded", "core_config_updated",
				"device_registry_updated", "entity_registry_updated", "lovelace_updated", "panels_updated",
				"recorder_5min_statistics_generated", "recorder_hourly_statistics_generated",
				"repairs_issue_registry_updated", "service_registered", "service_removed",
				"shopping_list_updated", "state_changed", "themes_updated", "call_service",
				"automation_triggered", "script_started", "homeassistant_start", "label_registry_updated",
				"floor_registry_updated", "category_registry_updated"} {
				if commandOf(t, p, p.user, map[string]any{"type": "subscribe_events", "event_type": et}, nil) == nil {
					allowed = append(allowed, et)
				}
			}
			return allowed
		}},
		{"call_service and state_changed events: their keys", eventShapes},
	}
}

// askBoth asks both peers every question.
func askBoth(t *testing.T) {
	sim, ha := simulated(t), real()
	for _, q := range fidelityQuestions() {
		t.Run(q.name, func(t *testing.T) {
			want, got := q.ask(t, ha), q.ask(t, sim)
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("(-Home Assistant 2024.3.3 +simulator as 2024.3.3):\n%s", diff)
			}
		})
	}
}

func TestSimulatorAnswersLikeHomeAssistant(t *testing.T) {
	askBoth(t)
}
