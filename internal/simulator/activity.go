package simulator

import (
	"math"
	"strconv"
	"strings"
)

// step is one moment of the home's life, drawn from h.rng: most often a sensor drifts; sometimes
// motion fires or clears, a door opens, someone switches something or runs a script, a camera
// rotates its token. Whatever it triggers (automations, scripts) runs within the step.
func (h *home) step() {
	if h.boot != nil {
		return // starting: most entities are not loaded yet
	}
	switch r := h.rng.Float64(); {
	case r < 0.34:
		h.driftSensor()
	case r < 0.54:
		h.toggle(h.entitiesWith("binary_sensor.", "motion"), "on", "off")
	case r < 0.60:
		h.toggle(h.entitiesWith("binary_sensor.", "door", "window"), "on", "off")
	case r < 0.68:
		h.userSwitch()
	case r < 0.73:
		h.mediaActivity()
	case r < 0.79:
		h.climateDrift()
	case r < 0.82:
		h.personMoves()
	case r < 0.86:
		h.userRunsScript()
	case r < 0.90:
		h.rotateCameraToken()
	case r < 0.93:
		state, attrs := sunAttrs(h.now())
		h.write("sun.sun", state, attrs, h.newContext("", ""))
	default:
		h.userMovesCover()
	}
}

// pick returns one of ids, or "" when there is none.
func (h *home) pick(ids []string) string {
	if len(ids) == 0 {
		return ""
	}
	return ids[h.rng.IntN(len(ids))]
}

// entitiesWith lists, in order, the entities whose id starts with prefix and whose device_class
// is one of classes.
func (h *home) entitiesWith(prefix string, classes ...string) []string {
	var ids []string
	for _, id := range h.sortedEntityIDs() {
		if !strings.HasPrefix(id, prefix) {
			continue
		}
		dc, _ := h.states[id].Attributes["device_class"].(string)
		for _, c := range classes {
			if dc == c {
				ids = append(ids, id)
			}
		}
	}
	return ids
}

// toggle flips one of ids between two states, as a device reports it (no user).
func (h *home) toggle(ids []string, a, b string) {
	id := h.pick(ids)
	if id == "" {
		return
	}
	st := h.states[id]
	next := a
	if st.State == a {
		next = b
	}
	h.write(id, next, st.Attributes, h.newContext("", ""))
}

// driftSensor moves a temperature, humidity or power sensor a little, keeping it believable.
func (h *home) driftSensor() {
	id := h.pick(h.entitiesWith("sensor.", "temperature", "humidity", "power"))
	if id == "" {
		return
	}
	st := h.states[id]
	v, err := strconv.ParseFloat(st.State, 64)
	if err != nil {
		v = 0
	}
	var next string
	switch st.Attributes["device_class"] {
	case "temperature":
		v = math.Max(-15, math.Min(35, v+float64(h.rng.IntN(7)-3)/10))
		next = strconv.FormatFloat(v, 'f', 1, 64)
	case "humidity":
		v = math.Max(20, math.Min(99, v+float64(h.rng.IntN(5)-2)))
		next = strconv.FormatFloat(v, 'f', 0, 64)
	default: // power: appliances switch on and off, otherwise jitter
		switch {
		case v < 1 && h.rng.IntN(4) == 0:
			v = 1200 + h.rng.Float64()*900
		case v > 1000 && h.rng.IntN(4) == 0:
			v = 0
		case v >= 1:
			v = math.Max(1, v*(0.9+h.rng.Float64()*0.2))
		}
		next = strconv.FormatFloat(v, 'f', 1, 64)
	}
	h.write(id, next, st.Attributes, h.newContext("", ""))
}

// userContext is a new context of one of the home's users, as a tap in the app makes.
func (h *home) userContext() Context {
	users := h.sim.users
	return h.newContext("", users[h.rng.IntN(len(users))].id)
}

// userSwitch has a user toggle a light or a switch from the app.
func (h *home) userSwitch() {
	var ids []string
	for _, id := range h.sortedEntityIDs() {
		if d := domainOf(id); d == "light" || d == "switch" {
			ids = append(ids, id)
		}
	}
	id := h.pick(ids)
	if id == "" {
		return
	}
	ctx := h.userContext()
	data := map[string]any{"entity_id": id}
	svc := "turn_off"
	if h.states[id].State != "on" {
		svc = "turn_on"
		if domainOf(id) == "light" && h.rng.IntN(2) == 0 {
			data["brightness_pct"] = 10 * (1 + h.rng.IntN(10))
		}
	}
	_ = h.callService(domainOf(id), svc, data, ctx)
}

// userRunsScript has a user start a script from the app: script.turn_on, which runs it.
func (h *home) userRunsScript() {
	var ids []string
	for _, sc := range h.spec.scripts {
		ids = append(ids, sc.id)
	}
	id := h.pick(ids)
	if id == "" {
		return
	}
	_ = h.callService("script", "turn_on", map[string]any{"entity_id": id}, h.userContext())
}

// userMovesCover has a user open or close a cover.
func (h *home) userMovesCover() {
	var ids []string
	for _, id := range h.sortedEntityIDs() {
		if domainOf(id) == "cover" {
			ids = append(ids, id)
		}
	}
	id := h.pick(ids)
	if id == "" {
		return
	}
	svc := "open_cover"
	if h.states[id].State == "open" {
		svc = "close_cover"
	}
	_ = h.callService("cover", svc, map[string]any{"entity_id": id}, h.userContext())
}

// personMoves has a person leave or come home, as their phone's tracker reports it.
func (h *home) personMoves() {
	i := h.rng.IntN(len(h.spec.persons))
	p := &h.spec.persons[i]
	home := h.states[p.id].State != "home"
	h.write(p.id, map[bool]string{true: "home", false: "not_home"}[home],
		p.attrs(h.sim.users[p.user].id, home), h.newContext("", ""))
}

// climateDrift moves a thermostat's measured temperature and its hvac_action follows.
func (h *home) climateDrift() {
	var ids []string
	for _, id := range h.sortedEntityIDs() {
		if domainOf(id) == "climate" {
			ids = append(ids, id)
		}
	}
	id := h.pick(ids)
	if id == "" {
		return
	}
	cur, _ := number(h.states[id].Attributes["current_temperature"])
	target, _ := number(h.states[id].Attributes["temperature"])
	delta := float64(h.rng.IntN(3)) / 10
	if cur > target {
		delta = -delta
	}
	ctx := h.newContext("", "")
	h.writeAttrs(id, map[string]any{"current_temperature": round(cur+delta, 1)}, ctx)
	h.updateHVACAction(id, ctx)
}

// updateHVACAction sets hvac_action from the measured and target temperatures.
func (h *home) updateHVACAction(id string, ctx Context) {
	st := h.states[id]
	cur, _ := number(st.Attributes["current_temperature"])
	target, _ := number(st.Attributes["temperature"])
	action := "idle"
	switch {
	case st.State == "off":
		action = "off"
	case cur < target-0.2:
		action = "heating"
	}
	h.writeAttrs(id, map[string]any{"hvac_action": action}, ctx)
}

// mediaActivity moves a media player on: the next track, a pause, a resume, on or off.
func (h *home) mediaActivity() {
	var ids []string
	for _, id := range h.sortedEntityIDs() {
		if domainOf(id) == "media_player" {
			ids = append(ids, id)
		}
	}
	id := h.pick(ids)
	if id == "" {
		return
	}
	m := h.media[id]
	ctx := h.newContext("", "")
	switch state := h.states[id].State; {
	case state == "playing" && h.rng.IntN(3) > 0:
		m.track = (m.track + 1) % len(h.spec.tracks)
		h.writeMedia(m, "playing", 0, ctx)
	case state == "playing":
		h.writeMedia(m, "paused", 1+h.rng.IntN(h.spec.tracks[m.track].duration), ctx)
	case state == "paused" || state == "idle":
		h.writeMedia(m, "playing", 0, ctx)
	default:
		h.writeMedia(m, "idle", 0, ctx)
	}
}

// writeMedia writes a media player's state, at position seconds into its track.
func (h *home) writeMedia(m *mediaPlayer, state string, position int, ctx Context) {
	h.write(m.spec.id, state, m.spec.attrs(state, h.spec.tracks[m.track], position, m.volume, m.source, h.now(), m.token), ctx)
}

// rotateCameraToken gives a camera a new access token, as HA does every five minutes: an
// attributes-only state_changed.
func (h *home) rotateCameraToken() {
	var ids []string
	for _, c := range h.spec.cameras {
		ids = append(ids, c.id)
	}
	id := h.pick(ids)
	if id == "" {
		return
	}
	h.write(id, h.states[id].State, h.cameras[id].attrs(hexID(h.rng, 32)), h.newContext("", ""))
}
