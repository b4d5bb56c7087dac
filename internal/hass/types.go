package hass

// Home Assistant event types the gateway treats specially.
const (
	TypeStateChanged        = "state_changed"
	TypeCallService         = "call_service"
	TypeAutomationTriggered = "automation_triggered"
	TypeScriptStarted       = "script_started"
)

// aliases maps HA's canonical event type to the name the envelope wire format uses (SPEC.md §4.2).
var aliases = map[string]string{
	TypeCallService:   "service_called",
	TypeScriptStarted: "script_executed",
}

// Alias returns the envelope format's name for the canonical event type t: "service_called" for
// "call_service", "script_executed" for "script_started", t itself otherwise.
func Alias(t string) string {
	if a, ok := aliases[t]; ok {
		return a
	}
	return t
}

// Canonical returns HA's name for an event type given either as HA names it or by its alias:
// Canonical("service_called") is "call_service"; names without an alias come back unchanged.
func Canonical(name string) string {
	for canonical, alias := range aliases {
		if name == alias {
			return canonical
		}
	}
	return name
}
