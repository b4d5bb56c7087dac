package hass

import "testing"

func TestAliases(t *testing.T) {
	for _, tc := range []struct{ canonical, alias string }{
		{"state_changed", "state_changed"},
		{"call_service", "service_called"},
		{"automation_triggered", "automation_triggered"},
		{"script_started", "script_executed"},
		{"homeassistant_start", "homeassistant_start"},
	} {
		if got := Alias(tc.canonical); got != tc.alias {
			t.Errorf("Alias(%q) = %q, want %q", tc.canonical, got, tc.alias)
		}
		if got := Canonical(tc.alias); got != tc.canonical {
			t.Errorf("Canonical(%q) = %q, want %q", tc.alias, got, tc.canonical)
		}
		if got := Canonical(tc.canonical); got != tc.canonical {
			t.Errorf("Canonical(%q) = %q, want it unchanged", tc.canonical, got)
		}
	}
}
