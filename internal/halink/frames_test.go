package halink

import (
	"time"

	"hasse/internal/hass"
	"hasse/internal/hass/hajson"
)

// Home Assistant frames for the read loop's tests (HA-PROTOCOL.md §7, §11), built from parts
// (package hajson) as package hass's tests build theirs.

var (
	received      = time.Date(2025, 3, 14, 9, 31, 40, 200_000_000, time.UTC)
	testSanitizer = hass.NewSanitizer(hass.DefaultRedact)

	livingRoom = hajson.State("light.living_room", "on", `{"min_color_temp_kelvin":2202,"max_color_temp_kelvin":6535,"min_mireds":153,`+
		`"max_mireds":454,"effect_list":["none","colorloop"],"supported_color_modes":["color_temp","xy"],"effect":"none",`+
		`"color_mode":"color_temp","brightness":180,"color_temp_kelvin":2900,"color_temp":344,"hs_color":[28.2,63.9],`+
		`"rgb_color":[255,168,91],"xy_color":[0.517,0.389],"friendly_name":"Living room ceiling","supported_features":44}`, hajson.Fired, hajson.CtxUser)
	livingRoomOff = hajson.State("light.living_room", "off", `{"min_color_temp_kelvin":2202,"max_color_temp_kelvin":6535,"min_mireds":153,`+
		`"max_mireds":454,"effect_list":["none","colorloop"],"supported_color_modes":["color_temp","xy"],"effect":null,`+
		`"color_mode":null,"brightness":null,"color_temp_kelvin":null,"color_temp":null,"hs_color":null,`+
		`"rgb_color":null,"xy_color":null,"friendly_name":"Living room ceiling","supported_features":44}`,
		"2025-03-14T07:02:11.004120+00:00", hajson.CtxNone)
)
