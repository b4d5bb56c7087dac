package simulator

import (
	"math"
	"slices"
	"time"
)

// This file builds entity attributes in the shapes HA-PROTOCOL.md §17 shows.

func outlet(id, name, area, state string) entitySpec {
	return entitySpec{id: id, area: area, state: state, attrs: map[string]any{"device_class": "outlet", "friendly_name": name}}
}

func measurement(id, name, area, state, unit, deviceClass string) entitySpec {
	return entitySpec{id: id, area: area, state: state, attrs: map[string]any{
		"state_class": "measurement", "unit_of_measurement": unit, "device_class": deviceClass, "friendly_name": name,
	}}
}

func binarySensor(id, name, area, state, deviceClass string) entitySpec {
	return entitySpec{id: id, area: area, state: state, attrs: map[string]any{"device_class": deviceClass, "friendly_name": name}}
}

func cover(id, name, area, state string, position int, deviceClass string) entitySpec {
	return entitySpec{id: id, area: area, state: state, attrs: map[string]any{
		"current_position": position, "device_class": deviceClass, "friendly_name": name, "supported_features": 15,
	}}
}

// attrs returns a light's attributes: capabilities always; brightness and colour keys set when on
// and null when off.
func (l *lightSpec) attrs(on bool, brightness, kelvin int) map[string]any {
	a := map[string]any{
		"supported_color_modes": toAny(l.modes),
		"friendly_name":         l.name,
		"supported_features":    l.features,
		"color_mode":            nil,
	}
	temp := slices.Contains(l.modes, "color_temp")
	color := slices.Contains(l.modes, "xy") || slices.Contains(l.modes, "hs")
	dimmable := !slices.Equal(l.modes, []string{"onoff"})
	if temp {
		a["min_color_temp_kelvin"] = 2202
		a["max_color_temp_kelvin"] = 6535
		a["color_temp_kelvin"] = nil
	}
	if l.effects != nil {
		a["effect_list"] = toAny(l.effects)
		a["effect"] = nil
	}
	if dimmable {
		a["brightness"] = nil
	}
	if temp || color {
		a["hs_color"], a["rgb_color"], a["xy_color"] = nil, nil, nil
	}
	if !on {
		return a
	}
	switch {
	case temp:
		a["color_mode"] = "color_temp"
	case color:
		a["color_mode"] = l.modes[0]
	case dimmable:
		a["color_mode"] = "brightness"
	default:
		a["color_mode"] = "onoff"
	}
	if dimmable {
		a["brightness"] = brightness
	}
	if l.effects != nil {
		a["effect"] = l.effects[0]
	}
	if temp || color {
		if kelvin == 0 {
			kelvin = 3000
		}
		if temp {
			a["color_temp_kelvin"] = kelvin
		}
		h, s, rgb, xy := kelvinColor(kelvin)
		a["hs_color"] = []any{h, s}
		a["rgb_color"] = []any{rgb[0], rgb[1], rgb[2]}
		a["xy_color"] = []any{xy[0], xy[1]}
	}
	return a
}

// kelvinColor approximates the colour of black-body light at kelvin as HA reports it: hue and
// saturation, 8-bit RGB, and CIE xy, rounded as HA rounds them.
func kelvinColor(kelvin int) (hue, sat float64, rgb [3]int, xy [2]float64) {
	t := float64(kelvin) / 100
	var r, g, b float64
	if t <= 66 {
		r = 255
		g = 99.4708025861*math.Log(t) - 161.1195681661
		b = 138.5177312231*math.Log(t-10) - 305.0447927307
		if t <= 19 {
			b = 0
		}
	} else {
		r = 329.698727446 * math.Pow(t-60, -0.1332047592)
		g = 288.1221695283 * math.Pow(t-60, -0.0755148492)
		b = 255
	}
	for i, v := range []float64{r, g, b} {
		rgb[i] = int(math.Round(min(255, max(0, v))))
	}
	rf, gf, bf := float64(rgb[0])/255, float64(rgb[1])/255, float64(rgb[2])/255
	hi, lo := max(rf, gf, bf), min(rf, gf, bf)
	if hi > lo {
		switch hi {
		case rf:
			hue = math.Mod((gf-bf)/(hi-lo), 6) * 60
		case gf:
			hue = ((bf-rf)/(hi-lo) + 2) * 60
		default:
			hue = ((rf-gf)/(hi-lo) + 4) * 60
		}
		if hue < 0 {
			hue += 360
		}
		sat = (hi - lo) / hi * 100
	}
	lin := func(c float64) float64 {
		if c > 0.04045 {
			return math.Pow((c+0.055)/1.055, 2.4)
		}
		return c / 12.92
	}
	lr, lg, lb := lin(rf), lin(gf), lin(bf)
	x := lr*0.664511 + lg*0.154324 + lb*0.162028
	y := lr*0.283881 + lg*0.668433 + lb*0.047685
	z := lr*0.000088 + lg*0.072310 + lb*0.986039
	if sum := x + y + z; sum > 0 {
		xy = [2]float64{round(x/sum, 3), round(y/sum, 3)}
	}
	return round(hue, 3), round(sat, 3), rgb, xy
}

// round rounds f to n decimals.
func round(f float64, n int) float64 {
	p := math.Pow(10, float64(n))
	return math.Round(f*p) / p
}

// attrs returns a media player's attributes: only its capabilities when off, what it plays
// otherwise. updated is when the position was last updated.
func (m *mediaSpec) attrs(state string, t track, position int, volume float64, source string, updated time.Time, token string) map[string]any {
	a := map[string]any{
		"source_list":        toAny(m.sources),
		"device_class":       m.deviceClass,
		"friendly_name":      m.name,
		"supported_features": m.features,
	}
	if state == "off" {
		return a
	}
	a["volume_level"] = volume
	a["is_volume_muted"] = false
	a["source"] = source
	if state == "playing" || state == "paused" {
		a["media_content_id"] = t.contentID
		a["media_content_type"] = "music"
		a["media_duration"] = t.duration
		a["media_position"] = position
		a["media_position_updated_at"] = isoformat(updated)
		a["media_title"] = t.title
		a["media_artist"] = t.artist
		a["media_album_name"] = t.album
		a["entity_picture"] = "/api/media_player_proxy/" + m.id + "?token=" + token + "&cache=" + token[:8]
	}
	return a
}

// attrs returns a camera's attributes for its current access token.
func (c *cameraSpec) attrs(token string) map[string]any {
	return map[string]any{
		"access_token":         token,
		"frontend_stream_type": "hls",
		"entity_picture":       "/api/camera_proxy/" + c.id + "?token=" + token,
		"friendly_name":        c.name,
		"supported_features":   c.features,
	}
}

// attrs returns a person's attributes; userID is the id of their user.
func (p *personSpec) attrs(userID string, home bool) map[string]any {
	lat, lon, acc := 52.3731, 4.8922, 12
	if !home {
		lat, lon, acc = 52.3584, 4.8811, 35
	}
	return map[string]any{
		"editable":        true,
		"id":              p.slug,
		"device_trackers": []any{p.tracker},
		"latitude":        lat,
		"longitude":       lon,
		"gps_accuracy":    acc,
		"source":          p.tracker,
		"user_id":         userID,
		"friendly_name":   p.name,
	}
}

// automationAttrs returns an automation's attributes; lastTriggered is "" when it never ran.
func automationAttrs(a *automationSpec, lastTriggered string, current int) map[string]any {
	return map[string]any{
		"id":             a.configID,
		"last_triggered": nullable(lastTriggered),
		"mode":           "single",
		"current":        current,
		"friendly_name":  a.name,
	}
}

// scriptAttrs returns a script's attributes; lastTriggered is "" when it never ran.
func scriptAttrs(s *scriptSpec, lastTriggered string, current int) map[string]any {
	return map[string]any{
		"last_triggered": nullable(lastTriggered),
		"mode":           "single",
		"current":        current,
		"friendly_name":  s.name,
	}
}

// sunAttrs returns sun.sun's state and attributes at t, for a home near 52.4° N: a rough solar
// model good enough to look right (elevation, azimuth, next events on the hour scale).
func sunAttrs(t time.Time) (string, map[string]any) {
	t = t.UTC()
	day := float64(t.YearDay())
	decl := -23.44 * math.Cos(2*math.Pi*(day+10)/365)
	noon := time.Date(t.Year(), t.Month(), t.Day(), 11, 40, 41, 0, time.UTC)
	hourAngle := t.Sub(noon).Hours() * 15
	lat := 52.3731 * math.Pi / 180
	d := decl * math.Pi / 180
	ha := hourAngle * math.Pi / 180
	sinEl := math.Sin(lat)*math.Sin(d) + math.Cos(lat)*math.Cos(d)*math.Cos(ha)
	el := math.Asin(sinEl) * 180 / math.Pi
	az := math.Mod(180+hourAngle, 360)
	halfDay := math.Acos(-math.Tan(lat)*math.Tan(d)) * 180 / math.Pi / 15 // hours
	next := func(offset float64) string {
		at := noon.Add(time.Duration(offset * float64(time.Hour)))
		for !at.After(t) {
			at = at.Add(24 * time.Hour)
		}
		return isoformat(at.Truncate(time.Microsecond))
	}
	state := "below_horizon"
	if el > 0 {
		state = "above_horizon"
	}
	return state, map[string]any{
		"next_dawn":     next(-halfDay - 0.55),
		"next_dusk":     next(halfDay + 0.55),
		"next_midnight": next(12),
		"next_noon":     next(0),
		"next_rising":   next(-halfDay),
		"next_setting":  next(halfDay),
		"elevation":     round(el, 2),
		"azimuth":       round(az, 2),
		"rising":        hourAngle < 0,
		"friendly_name": "Sun",
	}
}
