package hass

import (
	"encoding/json"
	"strings"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hass/hajson"
)

// Realistic Home Assistant frames (HA-PROTOCOL.md §7, §11, §16, §17), built from parts (package
// hajson) so that tests can state what Normalize must make of them.

const (
	lightOffAttrs = `{"supported_color_modes":["brightness"],"color_mode":null,"brightness":null,"friendly_name":"Kitchen","supported_features":32}`
	lightOnAttrs  = `{"supported_color_modes":["brightness"],"color_mode":"brightness","brightness":204,"friendly_name":"Kitchen","supported_features":32}`

	cameraToken1 = "9c4e1f0a7b2d5e8c3f6a9b0d2e4f6a8c1b3d5e7f9a0c2e4f6b8d0a2c4e6f8b0d"
	cameraToken2 = "51b0e2d4c6a8f0e2d4c6b8a0f2e4d6c8b0a2f4e6d8c0b2a4f6e8d0c2b4a6f8e0"
)

// cameraAttrs returns a camera's attributes as HA writes them, holding token.
func cameraAttrs(token string) string {
	return `{"access_token":"` + token + `","frontend_stream_type":"hls","entity_picture":"/api/camera_proxy/camera.driveway?token=` +
		token + `","friendly_name":"Driveway","supported_features":2}`
}

// cameraAttrsRedacted is what cameraAttrs becomes after sanitising.
const cameraAttrsRedacted = `{"frontend_stream_type":"hls","entity_picture":"/api/camera_proxy/camera.driveway?token=REDACTED","friendly_name":"Driveway","supported_features":2}`

var (
	lightOff = hajson.State("light.kitchen", "off", lightOffAttrs, "2025-03-14T07:02:11.004120+00:00", hajson.CtxNone)
	lightOn  = hajson.State("light.kitchen", "on", lightOnAttrs, hajson.Fired, hajson.CtxUser)

	cameraIdle1     = hajson.State("camera.driveway", "idle", cameraAttrs(cameraToken1), "2025-03-14T09:26:40+00:00", hajson.CtxNone)
	cameraIdle2     = hajson.State("camera.driveway", "idle", cameraAttrs(cameraToken2), hajson.Fired, hajson.CtxNone)
	cameraRecording = hajson.State("camera.driveway", "recording", cameraAttrs(cameraToken2), hajson.Fired, hajson.CtxNone)

	cameraIdle1Redacted     = hajson.State("camera.driveway", "idle", cameraAttrsRedacted, "2025-03-14T09:26:40+00:00", hajson.CtxNone)
	cameraIdle2Redacted     = hajson.State("camera.driveway", "idle", cameraAttrsRedacted, hajson.Fired, hajson.CtxNone)
	cameraRecordingRedacted = hajson.State("camera.driveway", "recording", cameraAttrsRedacted, hajson.Fired, hajson.CtxNone)

	speakerPlaying = hajson.State("media_player.kitchen_speaker", "playing", `{"source_list":["Radio","Spotify"],"volume_level":0.35,`+
		`"media_title":"Blue Hour","media_position":61,"entity_picture":"/api/media_player_proxy/media_player.kitchen_speaker?token=3f9a77&cache=9b1c2d3e",`+
		`"device_class":"speaker","friendly_name":"Kitchen speaker","supported_features":154559}`, hajson.Fired, hajson.CtxNone)
	speakerPlayingRedacted = strings.Replace(speakerPlaying, "token=3f9a77", "token=REDACTED", 1)
	speakerMoved           = strings.Replace(speakerPlaying, `"media_position":61`, `"media_position":62`, 1)
	speakerMovedRedacted   = strings.Replace(speakerMoved, "token=3f9a77", "token=REDACTED", 1)

	livingRoom = hajson.State("light.living_room", "on", `{"min_color_temp_kelvin":2202,"max_color_temp_kelvin":6535,"min_mireds":153,`+
		`"max_mireds":454,"effect_list":["none","colorloop"],"supported_color_modes":["color_temp","xy"],"effect":"none",`+
		`"color_mode":"color_temp","brightness":180,"color_temp_kelvin":2900,"color_temp":344,"hs_color":[28.2,63.9],`+
		`"rgb_color":[255,168,91],"xy_color":[0.517,0.389],"friendly_name":"Living room ceiling","supported_features":44}`, hajson.Fired, hajson.CtxUser)
	livingRoomOff = hajson.State("light.living_room", "off", `{"min_color_temp_kelvin":2202,"max_color_temp_kelvin":6535,"min_mireds":153,`+
		`"max_mireds":454,"effect_list":["none","colorloop"],"supported_color_modes":["color_temp","xy"],"effect":null,`+
		`"color_mode":null,"brightness":null,"color_temp_kelvin":null,"color_temp":null,"hs_color":null,`+
		`"rgb_color":null,"xy_color":null,"friendly_name":"Living room ceiling","supported_features":44}`,
		"2025-03-14T07:02:11.004120+00:00", hajson.CtxNone)

	doorOpen = hajson.State("binary_sensor.front_door", "on", `{"device_class":"door","friendly_name":"Front door"}`, hajson.Fired, hajson.CtxNone)
)

// rawCmp shows JSON as text in diffs.
var rawCmp = cmp.Transformer("text", func(b json.RawMessage) string { return string(b) })
