package filter

import (
	"errors"
	"net/url"
	"strings"
	"testing"
)

func TestParseWithin(t *testing.T) {
	scope, err := Parse(url.Values{"domain": {"light"}, "events": {"state_changed"}})
	if err != nil {
		t.Fatal(err)
	}
	down := func() string { return "registries refused" }
	for _, tc := range []struct {
		name     string
		query    string
		scope    *Filter
		registry func() string
		want     string // "" accepted; else the error's message
		scoped   bool   // the error is a *ScopeError
	}{
		{"no scope", "entity_id=lock.front_door", nil, nil, "", false},
		{"within the scope", "domain=light", scope, nil, "", false},
		{"a pattern: narrowed", "entity_id=lock.*", scope, nil, "", false},
		{"bad value", "entity_id=light..x", scope, nil, `invalid parameter "entity_id"`, false},
		{"outside: entity", "entity_id=lock.front_door", scope, nil, `"lock.front_door" (parameter "entity_id") is outside what this token may see`, true},
		{"outside: type", "events=call_service", scope, nil, `"call_service" (parameter "events") is outside what this token may see`, true},
		{"area, registries down", "area=kitchen", nil, down, `parameters "area" and "label" are unavailable: registries refused`, false},
		{"label, registries down", "label=security", nil, down, `parameters "area" and "label" are unavailable: registries refused`, false},
		{"area, registries up", "area=kitchen", nil, func() string { return "" }, "", false},
		{"no area, registries down", "domain=light", nil, down, "", false},
	} {
		v, err := url.ParseQuery(tc.query)
		if err != nil {
			t.Fatal(err)
		}
		f, err := ParseWithin(v, tc.scope, tc.registry)
		var se *ScopeError
		switch {
		case tc.want == "" && (err != nil || f == nil):
			t.Errorf("%s: %v, want the filter", tc.name, err)
		case tc.want != "" && (err == nil || !strings.HasPrefix(err.Error(), tc.want)):
			t.Errorf("%s: %v, want an error beginning %q", tc.name, err, tc.want)
		case errors.As(err, &se) != tc.scoped:
			t.Errorf("%s: %T, want a *ScopeError: %v", tc.name, err, tc.scoped)
		}
	}
}
