//go:build realha

package realha

import (
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"
)

// The envelope's automation_id is the automation's configuration id (its "id" attribute, as
// Home Assistant's automation editor and traces name it) and script_id the script's object id
// (HA-PROTOCOL.md §19).
func TestAutomationAndScriptIDs(t *testing.T) {
	ctx := t.Context()
	s := serve(t, home)
	s.waitConnected(t, 30*time.Second)
	st := open(t, s, "runs", "events=automation_triggered,script_started", home.Owner.Token)
	st.await(t, 10*time.Second, "connection", ofType("connection"))
	if err := home.CallService(ctx, "input_boolean", "turn_off", map[string]any{"entity_id": "input_boolean.kitchen_presence"}); err != nil {
		t.Fatal(err)
	}
	if err := home.CallService(ctx, "script", "make_tea", nil); err != nil {
		t.Fatal(err)
	}
	if err := home.CallService(ctx, "input_boolean", "turn_on", map[string]any{"entity_id": "input_boolean.kitchen_presence"}); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = home.CallService(ctx, "input_boolean", "turn_off", map[string]any{"entity_id": "input_boolean.kitchen_presence"})
	})
	for _, c := range []struct{ typ, entity, key, want string }{
		{"script_executed", "script.make_tea", "script_id", "make_tea"},
		{"automation_triggered", "automation.kitchen_light_on_motion", "automation_id", "1718011223344"},
		{"automation_triggered", "automation.heartbeat", "automation_id", "1718011223345"},
	} {
		ev := st.await(t, 15*time.Second, c.typ+" "+c.entity, func(ev sse.Event) bool {
			d := data(ev)
			return d["type"] == c.typ && d["entity_id"] == c.entity
		})
		inner, _ := data(ev)["data"].(map[string]any)
		if inner[c.key] != c.want {
			t.Errorf("%s of %s: %s = %v, want %q", c.typ, c.entity, c.key, inner[c.key], c.want)
		}
	}
}
