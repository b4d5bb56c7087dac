package filter

import (
	"net/url"
	"testing"

	"hasse/internal/hass"
)

func TestRefuses(t *testing.T) {
	mustParse := func(q string) *Filter {
		v, err := url.ParseQuery(q)
		if err != nil {
			t.Fatal(err)
		}
		f, err := Parse(v)
		if err != nil {
			t.Fatalf("Parse(%q): %v", q, err)
		}
		return f
	}
	for _, tc := range []struct {
		scope, query string
		param, value string
	}{
		{"domain=light,switch&events=state_changed", "", "", ""},
		{"domain=light,switch&events=state_changed", "domain=light", "", ""},
		{"domain=light,switch&events=state_changed", "entity_id=light.kitchen", "", ""},
		{"domain=light,switch&events=state_changed", "entity_id=lock.front_door", "entity_id", "lock.front_door"},
		{"domain=light,switch&events=state_changed", "domain=lock", "domain", "lock"},
		{"domain=light,switch&events=state_changed", "events=call_service", "events", "call_service"},
		{"domain=light,switch&events=state_changed", "events=service_called", "events", "call_service"},
		{"domain=light,switch&events=state_changed", "entity_id=lock.*", "", ""},    // a pattern: narrowed
		{"domain=light,switch&events=state_changed", "events=automation_*", "", ""}, // a pattern: narrowed
		{"entity_id=light.kitchen,sensor.hall_*", "entity_id=sensor.hall_temp", "", ""},
		{"entity_id=light.kitchen,sensor.hall_*", "entity_id=light.hall", "entity_id", "light.hall"},
		{"entity_id=light.kitchen", "domain=light", "", ""}, // the scope's entities narrow it
		{"events=state_*", "events=state_changed", "", ""},
		{"events=state_*", "events=call_service", "events", "call_service"},
		{"domain=sen*", "domain=sensor&entity_id=sensor.x", "", ""},
		{"domain=sen*", "entity_id=light.x", "entity_id", "light.x"},
	} {
		param, value, refused := mustParse(tc.scope).Refuses(mustParse(tc.query))
		if param != tc.param || value != tc.value || refused != (tc.param != "") {
			t.Errorf("scope %q refuses %q: %q %q %v, want %q %q", tc.scope, tc.query, param, value, refused, tc.param, tc.value)
		}
	}
	var none *Filter
	if _, _, refused := none.Refuses(mustParse("events=x")); refused {
		t.Error("a nil scope refused something")
	}
}

// TestScopeAllowsCallsWithinIt checks the choice made for a service call that names entities
// both inside and outside a token's scope: the token does not see it, since its data shows the
// other entities and what was asked of them. A call wholly inside the scope, and any event of a
// scope that names only types, are seen.
func TestScopeAllowsCallsWithinIt(t *testing.T) {
	call := func(domain string, entities ...string) *hass.Event {
		return &hass.Event{Type: hass.TypeCallService, Domain: domain, Entities: entities}
	}
	lights, err := Parse(mustValues(t, "domain=light&entity_id=lock.front_door"))
	if err != nil {
		t.Fatal(err)
	}
	calls, err := Parse(mustValues(t, "events=call_service"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name  string
		scope *Filter
		ev    *hass.Event
		want  bool
	}{
		{"within", lights, call("light", "light.kitchen", "light.hall"), true},
		{"within, by entity", lights, call("lock", "lock.front_door"), true},
		{"partly outside", lights, call("light", "light.kitchen", "lock.back_door"), false},
		{"partly outside, the named entity first", lights, call("lock", "lock.front_door", "lock.back_door"), false},
		{"wholly outside", lights, call("lock", "lock.back_door"), false},
		{"a scope of types only", calls, call("light", "light.kitchen", "lock.back_door"), true},
		{"no scope", nil, call("light", "light.kitchen", "lock.back_door"), true},
	} {
		if got := tc.scope.Allows(tc.ev); got != tc.want {
			t.Errorf("%s: Allows(%v) = %v, want %v", tc.name, tc.ev.Entities, got, tc.want)
		}
	}
}
