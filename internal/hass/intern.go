package hass

import "hasse/internal/hass/jsonscan"

// interned holds strings that recur in nearly every event (types, origins, common states and
// device classes), so that Normalize does not allocate a copy of each for every event.
var interned = func() map[string]string {
	m := make(map[string]string)
	for _, s := range []string{
		TypeStateChanged, TypeCallService, TypeAutomationTriggered, TypeScriptStarted, "LOCAL", "REMOTE",
		"on", "off", "unavailable", "unknown", "home", "not_home", "idle", "playing", "paused",
		"open", "closed", "opening", "closing", "locked", "unlocked", "heat", "cool", "auto",
		"above_horizon", "below_horizon",
		"temperature", "humidity", "power", "energy", "motion", "occupancy", "door", "window",
		"battery", "illuminance", "outlet", "switch", "blind", "shutter", "garage", "speaker", "tv",
	} {
		m[s] = s
	}
	return m
}()

// internString returns the JSON string val as a Go string, sharing the copy in interned when
// there is one, or "" when val is not a string.
func internString(val []byte) string {
	if len(val) >= 2 && val[0] == '"' {
		if s, ok := interned[string(val[1:len(val)-1])]; ok {
			return s
		}
	}
	s, _ := jsonscan.Unquote(val)
	return s
}
