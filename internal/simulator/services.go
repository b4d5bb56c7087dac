package simulator

import "math"

// service is what a service does to one target entity, in the context of its call.
type service func(h *home, entityID string, data map[string]any, ctx Context)

// services is the service registry: domain → service → effect. Services whose targets are not of
// their domain leave those alone, as HA does.
func services() map[string]map[string]service {
	return map[string]map[string]service{
		"light": {
			"turn_on":  lightTurnOn,
			"turn_off": lightTurnOff,
			"toggle": func(h *home, id string, data map[string]any, ctx Context) {
				if h.states[id].State == "on" {
					lightTurnOff(h, id, data, ctx)
				} else {
					lightTurnOn(h, id, data, ctx)
				}
			},
		},
		"switch": {
			"turn_on":  setStateOf("switch", "on"),
			"turn_off": setStateOf("switch", "off"),
			"toggle":   toggleOf("switch"),
		},
		"lock": {
			"lock":   setStateOf("lock", "locked"),
			"unlock": setStateOf("lock", "unlocked"),
		},
		"cover": {
			"open_cover":  coverMove(100),
			"close_cover": coverMove(0),
		},
		"climate": {
			"set_temperature": climateSetTemperature,
		},
		"media_player": {
			"turn_on":     mediaSet("idle"),
			"turn_off":    mediaSet("off"),
			"media_play":  mediaSet("playing"),
			"media_pause": mediaSet("paused"),
		},
		"script": {
			"turn_on": func(h *home, id string, _ map[string]any, ctx Context) {
				if sc, ok := h.scripts[id]; ok {
					h.runScript(sc, ctx)
				}
			},
		},
	}
}

// callService calls domain.service as HA's ServiceRegistry does: the call_service event first,
// then the service's effect on each entity of data["entity_id"], every write in ctx. An unknown
// service fires nothing and fails with not_found.
func (h *home) callService(domain, svc string, data map[string]any, ctx Context) error {
	fn, ok := h.services[domain][svc]
	if !ok {
		return &haError{codeNotFound, "Service " + domain + "." + svc + " not found."}
	}
	h.fire("call_service", object{{"domain", domain}, {"service", svc}, {"service_data", data}}, ctx, h.now())
	for _, id := range targetEntities(data["entity_id"]) {
		if _, ok := h.states[id]; ok {
			fn(h, id, data, ctx)
		}
	}
	return nil
}

// targetEntities reads an entity_id value: a string or a list of strings.
func targetEntities(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []string:
		return v
	case []any:
		var ids []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				ids = append(ids, s)
			}
		}
		return ids
	}
	return nil
}

func lightTurnOn(h *home, id string, data map[string]any, ctx Context) {
	l, ok := h.lights[id]
	if !ok {
		return
	}
	cur := h.states[id]
	brightness, kelvin := l.brightness, l.kelvin
	if cur.State == "on" {
		if b, ok := number(cur.Attributes["brightness"]); ok {
			brightness = int(b)
		}
		if k, ok := number(cur.Attributes["color_temp_kelvin"]); ok {
			kelvin = int(k)
		}
	}
	if b, ok := number(data["brightness"]); ok {
		brightness = int(min(255, max(0, b)))
	}
	if p, ok := number(data["brightness_pct"]); ok {
		brightness = int(math.Round(min(100, max(0, p)) * 255 / 100))
	}
	if k, ok := number(data["color_temp_kelvin"]); ok {
		kelvin = int(min(6535, max(2202, k)))
	}
	if brightness == 0 {
		lightTurnOff(h, id, data, ctx)
		return
	}
	h.write(id, "on", l.attrs(true, brightness, kelvin), ctx)
}

func lightTurnOff(h *home, id string, _ map[string]any, ctx Context) {
	if l, ok := h.lights[id]; ok {
		h.write(id, "off", l.attrs(false, 0, 0), ctx)
	}
}

// setStateOf returns a service that sets entities of domain to state, keeping their attributes.
func setStateOf(domain, state string) service {
	return func(h *home, id string, _ map[string]any, ctx Context) {
		if domainOf(id) == domain {
			h.write(id, state, h.states[id].Attributes, ctx)
		}
	}
}

func toggleOf(domain string) service {
	return func(h *home, id string, data map[string]any, ctx Context) {
		setStateOf(domain, onOff(h.states[id].State != "on"))(h, id, data, ctx)
	}
}

// coverMove returns a service that moves covers to position: opening or closing, then there.
func coverMove(position int) service {
	return func(h *home, id string, _ map[string]any, ctx Context) {
		if domainOf(id) != "cover" {
			return
		}
		cur := h.states[id]
		if p, ok := number(cur.Attributes["current_position"]); ok && int(p) == position {
			return
		}
		moving, done := "closing", "closed"
		if position > 0 {
			moving, done = "opening", "open"
		}
		h.write(id, moving, cur.Attributes, ctx)
		h.writeAttrs(id, map[string]any{"current_position": position}, ctx)
		h.write(id, done, h.states[id].Attributes, ctx)
	}
}

func climateSetTemperature(h *home, id string, data map[string]any, ctx Context) {
	if domainOf(id) != "climate" {
		return
	}
	t, ok := number(data["temperature"])
	if !ok {
		return
	}
	h.writeAttrs(id, map[string]any{"temperature": t}, ctx)
	h.updateHVACAction(id, ctx)
}

// mediaSet returns a service that puts media players in state.
func mediaSet(state string) service {
	return func(h *home, id string, _ map[string]any, ctx Context) {
		if m, ok := h.media[id]; ok {
			h.writeMedia(m, state, 0, ctx)
		}
	}
}
