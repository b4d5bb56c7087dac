package simulator

import (
	"maps"
	"math"
	"slices"
	"strings"
)

// This file is what services do to the entities they target: the entity functions of the
// service registry (servicedefs.go). Each runs on Run's goroutine, writes in the call's context,
// and may fail as the integration would, after the call_service event has fired.

func lightTurnOn(h *home, id string, call *serviceCall) error {
	l, ok := h.lights[id]
	if !ok {
		return nil
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
	data := call.data
	if b, ok := data["brightness"].(int); ok {
		brightness = b
	}
	if p, ok := data["brightness_pct"].(float64); ok {
		brightness = int(math.Round(p * 255 / 100))
	}
	if p, ok := data["brightness_step_pct"].(float64); ok {
		brightness = min(255, max(0, brightness+int(math.Round(p*255/100))))
	}
	if k, ok := data["color_temp_kelvin"].(int); ok {
		kelvin = min(6535, max(2202, k))
	}
	if brightness == 0 {
		return lightTurnOff(h, id, call)
	}
	h.write(id, "on", l.attrs(true, brightness, kelvin), call.ctx)
	return nil
}

func lightTurnOff(h *home, id string, call *serviceCall) error {
	if l, ok := h.lights[id]; ok {
		h.write(id, "off", l.attrs(false, 0, 0), call.ctx)
	}
	return nil
}

func lightToggle(h *home, id string, call *serviceCall) error {
	if h.states[id].State == "on" {
		return lightTurnOff(h, id, call)
	}
	return lightTurnOn(h, id, call)
}

// setState returns an entity function that sets the entity's state, keeping its attributes.
func setState(state string) func(*home, string, *serviceCall) error {
	return func(h *home, id string, call *serviceCall) error {
		h.write(id, state, h.states[id].Attributes, call.ctx)
		return nil
	}
}

// toggleState returns an entity function that flips the entity between on and off.
func toggleState(h *home, id string, call *serviceCall) error {
	return setState(onOff(h.states[id].State != "on"))(h, id, call)
}

// coverTo moves a cover to position as a motorised cover reports it: opening or closing, the new
// position, then open or closed.
func coverTo(h *home, id string, position int, call *serviceCall) {
	cur := h.states[id]
	if p, ok := number(cur.Attributes["current_position"]); ok && int(p) == position {
		return
	}
	moving, done := "closing", "closed"
	if p, _ := number(cur.Attributes["current_position"]); float64(position) > p {
		moving = "opening"
	}
	if position > 0 {
		done = "open"
	}
	h.write(id, moving, cur.Attributes, call.ctx)
	h.writeAttrs(id, map[string]any{"current_position": position}, call.ctx)
	h.write(id, done, h.states[id].Attributes, call.ctx)
}

// coverMove returns an entity function that moves covers to a fixed position.
func coverMove(position int) func(*home, string, *serviceCall) error {
	return func(h *home, id string, call *serviceCall) error {
		coverTo(h, id, position, call)
		return nil
	}
}

func coverSetPosition(h *home, id string, call *serviceCall) error {
	coverTo(h, id, call.data["position"].(int), call)
	return nil
}

// climateSetTemperature is climate.set_temperature: HA checks the target against the entity's
// range, then the entity takes it (and the HVAC mode, when given).
func climateSetTemperature(h *home, id string, call *serviceCall) error {
	attrs := h.states[id].Attributes
	_, low := call.data["target_temp_low"]
	_, high := call.data["target_temp_high"]
	if low || high {
		return validationError("climate", "missing_target_temperature_range_entity_feature", nil,
			"Set temperature action was used with the target temperature low/high parameter but the entity does not support it.")
	}
	t, ok := call.data["temperature"].(float64)
	if !ok {
		return nil
	}
	lo, _ := number(attrs["min_temp"])
	hi, _ := number(attrs["max_temp"])
	if t < lo || t > hi {
		return validationError("climate", "temp_out_of_range",
			object{{"check_temp", pyFloat(t)}, {"min_temp", pyRepr(attrs["min_temp"])}, {"max_temp", pyRepr(attrs["max_temp"])}},
			"Provided temperature "+pyFloat(t)+" is not valid. Accepted range is "+pyRepr(attrs["min_temp"])+" to "+pyRepr(attrs["max_temp"])+".")
	}
	if _, ok := call.data["hvac_mode"]; ok {
		if err := climateSetHVACMode(h, id, call); err != nil {
			return err
		}
	}
	h.writeAttrs(id, map[string]any{"temperature": t}, call.ctx)
	h.updateHVACAction(id, call.ctx)
	return nil
}

// climateSetHVACMode is climate.set_hvac_mode: the mode must be one of the entity's hvac_modes.
func climateSetHVACMode(h *home, id string, call *serviceCall) error {
	mode := call.data["hvac_mode"].(string)
	st := h.states[id]
	modes := targetStrings(st.Attributes["hvac_modes"])
	if !slices.Contains(modes, mode) {
		list := strings.Join(modes, ", ")
		return validationError("climate", "not_valid_hvac_mode", object{{"mode", mode}, {"modes", list}},
			"HVAC mode "+mode+" is not valid. Valid HVAC modes are: "+list+".")
	}
	h.write(id, mode, st.Attributes, call.ctx)
	h.updateHVACAction(id, call.ctx)
	return nil
}

// pyFloat writes f as Python's str(float) does: 21.0, 40.5.
func pyFloat(f float64) string {
	return string(appendFloat(nil, f))
}

// mediaSet returns an entity function that puts media players in state.
func mediaSet(state string) func(*home, string, *serviceCall) error {
	return func(h *home, id string, call *serviceCall) error {
		if m, ok := h.media[id]; ok {
			h.writeMedia(m, state, 0, call.ctx)
		}
		return nil
	}
}

func mediaVolumeSet(h *home, id string, call *serviceCall) error {
	m, ok := h.media[id]
	if !ok {
		return nil
	}
	m.volume = round(call.data["volume_level"].(float64), 2)
	if st := h.states[id].State; st != "off" {
		pos, _ := number(h.states[id].Attributes["media_position"])
		h.writeMedia(m, st, int(pos), call.ctx)
	}
	return nil
}

func scriptTurnOn(h *home, id string, call *serviceCall) error {
	if sc, ok := h.scripts[id]; ok {
		h.runScript(sc, call.ctx)
	}
	return nil
}

// automationTrigger is automation.trigger: the automation's actions run now, in a context whose
// parent is the call's, with no trigger description (so automation_triggered has no source).
func automationTrigger(h *home, id string, call *serviceCall) error {
	for _, as := range h.automations {
		for _, a := range as {
			if a.id == id {
				h.runAutomation(a, call.ctx, "")
				return nil
			}
		}
	}
	return nil
}

// generic returns homeassistant.<service>: it calls <domain>.<service> once per domain of the
// targeted entities that has that service, in the same context, as HA's homeassistant
// integration does (each such call fires its own call_service).
func generic(service string) func(*home, *serviceCall) (any, error) {
	return func(h *home, call *serviceCall) (any, error) {
		byDomain := map[string][]any{}
		for _, id := range call.entities {
			byDomain[domainOf(id)] = append(byDomain[domainOf(id)], id)
		}
		for _, domain := range slices.Sorted(maps.Keys(byDomain)) {
			if domain == "homeassistant" || h.services[domain][service] == nil {
				h.log.Debug("entities without the service left out", "domain", domain, "service", service)
				continue
			}
			data := maps.Clone(call.data)
			data["entity_id"] = byDomain[domain]
			if _, err := h.call(domain, service, data, call.ctx, false); err != nil {
				return nil, err
			}
		}
		return nil, nil
	}
}
