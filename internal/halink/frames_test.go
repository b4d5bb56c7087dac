package halink

import (
	"time"

	"hasse/internal/hass"
)

// Home Assistant frames for the read loop's tests (HA-PROTOCOL.md §7, §11), built from parts as
// package hass's tests build theirs.

const (
	ctxUser = `{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":"4f2b9c1e0d3a47b8a6c5e9f102938475"}`
	ctxNone = `{"id":"01JPAWZ3RQ0M4B6N8C2D5F7G9H","parent_id":null,"user_id":null}`
	fired   = "2025-03-14T09:31:40.120567+00:00"
)

var (
	received      = time.Date(2025, 3, 14, 9, 31, 40, 200_000_000, time.UTC)
	testSanitizer = hass.NewSanitizer(hass.DefaultRedact)
)

// stateJSON returns a full state object (HA-PROTOCOL.md §7).
func stateJSON(entityID, state, attrs, at, ctx string) string {
	return `{"entity_id":"` + entityID + `","state":"` + state + `","attributes":` + attrs +
		`,"last_changed":"` + at + `","last_reported":"` + at + `","last_updated":"` + at + `","context":` + ctx + `}`
}

// changedData returns the data of a state_changed event.
func changedData(entityID, oldState, newState string) string {
	return `{"entity_id":"` + entityID + `","old_state":` + oldState + `,"new_state":` + newState + `}`
}

// eventJSON returns the event object HA sends inside an event message.
func eventJSON(typ, data, ctx string) string {
	return `{"event_type":"` + typ + `","data":` + data + `,"origin":"LOCAL","time_fired":"` + fired + `","context":` + ctx + `}`
}

var (
	livingRoom = stateJSON("light.living_room", "on", `{"min_color_temp_kelvin":2202,"max_color_temp_kelvin":6535,"min_mireds":153,`+
		`"max_mireds":454,"effect_list":["none","colorloop"],"supported_color_modes":["color_temp","xy"],"effect":"none",`+
		`"color_mode":"color_temp","brightness":180,"color_temp_kelvin":2900,"color_temp":344,"hs_color":[28.2,63.9],`+
		`"rgb_color":[255,168,91],"xy_color":[0.517,0.389],"friendly_name":"Living room ceiling","supported_features":44}`, fired, ctxUser)
	livingRoomOff = stateJSON("light.living_room", "off", `{"min_color_temp_kelvin":2202,"max_color_temp_kelvin":6535,"min_mireds":153,`+
		`"max_mireds":454,"effect_list":["none","colorloop"],"supported_color_modes":["color_temp","xy"],"effect":null,`+
		`"color_mode":null,"brightness":null,"color_temp_kelvin":null,"color_temp":null,"hs_color":null,`+
		`"rgb_color":null,"xy_color":null,"friendly_name":"Living room ceiling","supported_features":44}`,
		"2025-03-14T07:02:11.004120+00:00", ctxNone)
)
