package main

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// A state_changed message has HA's shape (HA-PROTOCOL.md §6, §7): new_state carries the stamp,
// old_state does not, and the event's context and time are the new state's.
func TestAppendStateChanged(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 31, 40, 120567000, time.UTC)
	old := benchLight{changed: at.Add(-time.Hour), context: "01JPAWZ3RQ0M4B6N8C2D5F7G9H"}
	cur := benchLight{on: true, changed: at, context: "01JPB3ZK7V1X3Z5B7D9F1H3K5M"}
	b := appendStateChanged(nil, 19, 4, old, cur, 42)
	var m struct {
		ID    int    `json:"id"`
		Type  string `json:"type"`
		Event struct {
			EventType string `json:"event_type"`
			Data      struct {
				EntityID string                     `json:"entity_id"`
				OldState map[string]json.RawMessage `json:"old_state"`
				NewState map[string]json.RawMessage `json:"new_state"`
			} `json:"data"`
			Origin    string          `json:"origin"`
			TimeFired string          `json:"time_fired"`
			Context   json.RawMessage `json:"context"`
		} `json:"event"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("%s: %v", b, err)
	}
	if !strings.HasSuffix(string(b), `,"id":19}`) {
		t.Errorf("%s: want \"id\" last, as Home Assistant sends it", b)
	}
	ev := m.Event
	got := []string{m.Type, ev.EventType, ev.Data.EntityID, ev.Origin, ev.TimeFired, string(ev.Context),
		string(ev.Data.NewState["state"]), string(ev.Data.OldState["state"]), string(ev.Data.NewState["last_changed"])}
	want := []string{"event", "state_changed", "light.bench_4", "LOCAL", "2025-03-14T09:31:40.120567+00:00",
		`{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":null}`, `"on"`, `"off"`, `"2025-03-14T09:31:40.120567+00:00"`}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("%s (-want +got):\n%s", b, diff)
	}
	for name, st := range map[string]map[string]json.RawMessage{"old_state": ev.Data.OldState, "new_state": ev.Data.NewState} {
		if len(st) != 7 {
			t.Errorf("%s has %d keys, want HA's 7", name, len(st))
		}
	}
	if s, ok := findStamp(ev.Data.NewState["attributes"]); !ok || s != 42 {
		t.Errorf("new_state attributes %s: stamp %d, %v; want 42", ev.Data.NewState["attributes"], s, ok)
	}
	if _, ok := findStamp(ev.Data.OldState["attributes"]); ok {
		t.Errorf("old_state attributes %s carry a stamp, want none", ev.Data.OldState["attributes"])
	}
	if n := len(appendRawPayload(nil, 1, 1700000000000000000, 0)); n < 300 || n > 400 {
		t.Errorf("raw payload is %d bytes, want about 330", n)
	}
}
