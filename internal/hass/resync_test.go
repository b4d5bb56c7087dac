package hass

import (
	"encoding/json"
	"slices"
	"testing"
	"time"
)

func mustState(t *testing.T, js string) State {
	t.Helper()
	st, err := ParseState([]byte(js))
	if err != nil {
		t.Fatal(err)
	}
	return st
}

func TestSameState(t *testing.T) {
	base := `{"entity_id":"light.a","state":"on","attributes":{"brightness":200},"last_changed":"2025-03-14T09:00:00+00:00","last_reported":"2025-03-14T09:00:00+00:00"}`
	for _, tc := range []struct {
		other string
		same  bool
	}{
		{base, true},
		{`{"entity_id":"light.a","state":"on","attributes":{"brightness":200},"last_changed":"2025-03-14T09:00:00+00:00","last_reported":"2025-03-14T10:00:00+00:00"}`, true},
		{`{"entity_id":"light.a","state":"off","attributes":{"brightness":200},"last_changed":"2025-03-14T09:00:00+00:00"}`, false},
		{`{"entity_id":"light.a","state":"on","attributes":{"brightness":100},"last_changed":"2025-03-14T09:00:00+00:00"}`, false},
		// off and on again while the link was down: the same state and attributes, a new object
		{`{"entity_id":"light.a","state":"on","attributes":{"brightness":200},"last_changed":"2025-03-14T09:05:00+00:00","last_reported":"2025-03-14T09:05:00+00:00"}`, false},
		{`{"entity_id":"light.a","state":"on","attributes":{"brightness":200},"last_changed":"2025-03-14T09:00:00+00:00","last_updated":"2025-03-14T09:05:00+00:00"}`, false},
	} {
		if got := SameState(mustState(t, base), mustState(t, tc.other)); got != tc.same {
			t.Errorf("SameState(base, %s) = %v, want %v", tc.other, got, tc.same)
		}
	}
}

func TestResync(t *testing.T) {
	on := mustState(t, `{"entity_id":"light.a","state":"on","attributes":{"device_class":"x"}}`)
	off := mustState(t, `{"entity_id":"light.a","state":"off","attributes":{}}`)
	at := time.Date(2025, 3, 14, 9, 31, 40, 120567000, time.UTC)
	for _, tc := range []struct {
		name        string
		old, new    State
		wantData    string
		wantState   string
		wantChanged bool
	}{
		{"changed", off, on, `{"entity_id":"light.a","old_state":` + string(off.JSON) + `,"new_state":` + string(on.JSON) + `}`, "on", true},
		{"appeared", State{}, on, `{"entity_id":"light.a","old_state":null,"new_state":` + string(on.JSON) + `}`, "on", true},
		{"disappeared", off, State{}, `{"entity_id":"light.a","old_state":` + string(off.JSON) + `,"new_state":null}`, "", true},
		{"attributes only", on, mustState(t, `{"entity_id":"light.a","state":"on","attributes":{"device_class":"y"}}`), "", "on", false},
	} {
		ev := Resync(tc.old, tc.new, at)
		if tc.wantData != "" && string(ev.Data) != tc.wantData {
			t.Errorf("%s: Data %s, want %s", tc.name, ev.Data, tc.wantData)
		}
		if !json.Valid(ev.Data) || !json.Valid(ev.Context) {
			t.Errorf("%s: invalid JSON in %s or %s", tc.name, ev.Data, ev.Context)
		}
		if ev.Origin != OriginResync || ev.Type != TypeStateChanged || ev.EntityID != "light.a" || ev.Domain != "light" ||
			ev.State != tc.wantState || ev.StateChanged != tc.wantChanged || ev.TimeFired != "2025-03-14T09:31:40.120567+00:00" {
			t.Errorf("%s: %+v", tc.name, ev)
		}
	}
}

func TestDiff(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 31, 40, 0, time.UTC)
	on := mustState(t, `{"entity_id":"light.a","state":"on","attributes":{}}`)
	off := mustState(t, `{"entity_id":"light.a","state":"off","attributes":{}}`)
	same := mustState(t, `{"entity_id":"switch.s","state":"on","attributes":{}}`)
	gone := mustState(t, `{"entity_id":"sensor.gone","state":"1","attributes":{}}`)
	added := mustState(t, `{"entity_id":"binary_sensor.new","state":"off","attributes":{}}`)
	for _, tc := range []struct {
		name  string
		known map[string]State
		truth []State
		want  []string // entity id and new state of each event, in order
	}{
		{"nothing known", nil, []State{on, added}, []string{"binary_sensor.new=off", "light.a=on"}},
		{"no change", map[string]State{"light.a": on, "switch.s": same}, []State{same, on}, nil},
		{"changed, gone, added", map[string]State{"light.a": on, "switch.s": same, "sensor.gone": gone}, []State{off, same, added},
			[]string{"binary_sensor.new=off", "light.a=off", "sensor.gone="}},
		{"everything gone", map[string]State{"light.a": on}, nil, []string{"light.a="}},
	} {
		var got []string
		for _, ev := range Diff(tc.known, tc.truth, at) {
			if ev.Origin != OriginResync {
				t.Errorf("%s: origin %q", tc.name, ev.Origin)
			}
			got = append(got, ev.EntityID+"="+ev.State)
		}
		if !slices.Equal(got, tc.want) {
			t.Errorf("%s: Diff = %v, want %v", tc.name, got, tc.want)
		}
	}
}
