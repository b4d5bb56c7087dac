package simulator

import (
	"maps"
	"slices"
)

// This file is data: the services the simulated home registers, with the schemas their
// integrations validate with and the descriptions get_services returns (names and texts as
// HA's services.yaml and strings.json give them in English).

// Field constructors for the selectors HA's services use.
// numberSel is a number selector; ints stay ints as in services.yaml; step nil = none.
func numberSel(lo, hi, step any, unit string) object {
	o := object{{"min", lo}, {"max", hi}}
	if step != nil {
		o = append(o, member{"step", step})
	}
	if unit != "" {
		o = append(o, member{"unit_of_measurement", unit})
	}
	return object{{"number", o}}
}

func selectSel(options ...string) object {
	return object{{"select", object{{"options", toAny(options)}}}}
}

var (
	textSel    = object{{"text", nil}}
	booleanSel = object{{"boolean", nil}}
	objectSel  = object{{"object", nil}}
)

var hvacModes = []string{"off", "auto", "cool", "dry", "fan_only", "heat_cool", "heat"}

func lightFields(with ...string) []serviceField {
	all := []serviceField{
		{key: "transition", name: "Transition", description: "Duration it takes to get to next state.",
			selector: numberSel(0, 300, nil, "seconds"), coerce: clampFloat(0, 6553)},
		{key: "brightness", name: "Brightness value", advanced: true, group: "brightness",
			description: "Number indicating brightness, where 0 turns the light off, 1 is the minimum brightness, and 255 is the maximum brightness.",
			selector:    numberSel(0, 255, nil, ""), coerce: clampInt(0, 255)},
		{key: "brightness_pct", name: "Brightness", group: "brightness",
			description: "Number indicating the percentage of full brightness, where 0 turns the light off, 1 is the minimum brightness, and 100 is the maximum brightness.",
			selector:    numberSel(0, 100, nil, "%"), coerce: floatIn(0, 100)},
		{key: "brightness_step_pct", name: "Brightness step", group: "brightness", description: "Change brightness by a percentage.",
			selector: numberSel(-100, 100, nil, "%"), coerce: floatIn(-100, 100)},
		{key: "color_temp_kelvin", name: "Color temperature", group: "Color descriptors", description: "Color temperature in Kelvin.",
			selector: object{{"color_temp", object{{"unit", "kelvin"}, {"min", 2000}, {"max", 6500}}}}, coerce: intIn(0, -1)},
		{key: "effect", name: "Effect", description: "Light effect.", selector: textSel, coerce: cvString},
		{key: "flash", name: "Flash", advanced: true, description: "Tell light to flash, can be either value short or long.",
			selector: selectSel("long", "short"), coerce: oneOf("", "long", "short")},
	}
	return slices.DeleteFunc(all, func(f serviceField) bool { return !slices.Contains(with, f.key) })
}

// builtinServices is every service of the home but the per-script ones.
func builtinServices() map[string]map[string]*serviceDef {
	lightOn := []string{"transition", "brightness", "brightness_pct", "brightness_step_pct", "color_temp_kelvin", "effect", "flash"}
	code := func(verb string) []serviceField {
		return []serviceField{{key: "code", name: "Code", description: "Code used to " + verb + " the lock.", example: "1234",
			selector: textSel, coerce: cvString}}
	}
	hvacMode := serviceField{key: "hvac_mode", name: "HVAC mode", description: "HVAC operation mode.",
		selector: selectSel(hvacModes...), coerce: oneOf("HVACMode", hvacModes...)}
	temp := func(key, name, desc string, advanced bool) serviceField {
		return serviceField{key: key, name: name, description: desc, advanced: advanced,
			selector: object{{"number", object{{"min", 0}, {"max", 250}, {"step", 0.1}, {"mode", "box"}}}}, coerce: floatIn(-1e300, 1e300)}
	}
	return map[string]map[string]*serviceDef{
		"light": {
			"turn_on": {name: "Turn on", description: "Turns on one or more lights and adjusts their properties, even when they are turned on already.",
				domain: "light", fields: lightFields(lightOn...), entity: lightTurnOn},
			"turn_off": {name: "Turn off", description: "Turns off one or more lights.",
				domain: "light", fields: lightFields("transition", "flash"), entity: lightTurnOff},
			"toggle": {name: "Toggle", description: "Toggles one or more lights, from on to off, or, off to on, based on their current state.",
				domain: "light", fields: lightFields(lightOn...), entity: lightToggle},
		},
		"switch": {
			"turn_on":  {name: "Turn on", description: "Turns a switch on.", domain: "switch", entity: setState("on")},
			"turn_off": {name: "Turn off", description: "Turns a switch off.", domain: "switch", entity: setState("off")},
			"toggle":   {name: "Toggle", description: "Toggles a switch on/off.", domain: "switch", entity: toggleState},
		},
		"cover": {
			"open_cover":  {name: "Open", description: "Opens a cover.", domain: "cover", features: []int{1}, entity: coverMove(100)},
			"close_cover": {name: "Close", description: "Closes a cover.", domain: "cover", features: []int{2}, entity: coverMove(0)},
			"set_cover_position": {name: "Set position", description: "Moves a cover to a specific position.", domain: "cover", features: []int{4},
				fields: []serviceField{{key: "position", name: "Position", description: "Target position.", required: true,
					selector: numberSel(0, 100, nil, "%"), coerce: intIn(0, 100)}},
				entity: coverSetPosition},
			"stop_cover": {name: "Stop", description: "Stops the cover movement.", domain: "cover", features: []int{8},
				entity: func(*home, string, *serviceCall) error { return nil }}, // covers here arrive at once
		},
		"lock": {
			"lock":   {name: "Lock", description: "Locks a lock.", domain: "lock", fields: code("lock"), entity: setState("locked")},
			"unlock": {name: "Unlock", description: "Unlocks a lock.", domain: "lock", fields: code("unlock"), entity: setState("unlocked")},
		},
		"climate": {
			"set_temperature": {name: "Set target temperature", description: "Sets the temperature setpoint.", domain: "climate", features: []int{1, 2},
				fields: []serviceField{
					temp("temperature", "Target temperature", "The temperature setpoint.", false),
					temp("target_temp_high", "Upper target temperature", "The max temperature setpoint.", true),
					temp("target_temp_low", "Lower target temperature", "The min temperature setpoint.", true),
					hvacMode,
				},
				atLeastOne: []string{"temperature", "target_temp_high", "target_temp_low"},
				entity:     climateSetTemperature},
			"set_hvac_mode": {name: "Set HVAC mode", description: "Sets HVAC operation mode.", domain: "climate",
				fields: []serviceField{hvacMode}, entity: climateSetHVACMode},
		},
		"media_player": {
			"turn_on":     {name: "Turn on", description: "Turns on the power of the media player.", domain: "media_player", features: []int{128}, entity: mediaSet("idle")},
			"turn_off":    {name: "Turn off", description: "Turns off the power of the media player.", domain: "media_player", features: []int{256}, entity: mediaSet("off")},
			"media_play":  {name: "Play", description: "Starts playing.", domain: "media_player", features: []int{16384}, entity: mediaSet("playing")},
			"media_pause": {name: "Pause", description: "Pauses.", domain: "media_player", features: []int{1}, entity: mediaSet("paused")},
			"volume_set": {name: "Set volume", description: "Sets the volume level.", domain: "media_player", features: []int{4},
				fields: []serviceField{{key: "volume_level", name: "Level", description: "The volume. 0 is inaudible, 1 is the maximum volume.",
					required: true, selector: numberSel(0, 1, 0.01, ""), coerce: floatIn(0, 1)}},
				entity: mediaVolumeSet},
		},
		"script": {
			"turn_on": {name: "Turn on", description: "Runs the sequence of actions defined in a script.", domain: "script",
				fields: []serviceField{{key: "variables", name: "Variables", description: "Variables to pass to the script.",
					selector: objectSel, coerce: isDictValue}},
				entity: scriptTurnOn},
		},
		"automation": {
			"trigger": {name: "Trigger", description: "Triggers the actions of an automation.", domain: "automation",
				fields: []serviceField{{key: "skip_condition", name: "Skip conditions", description: "Defines whether or not the conditions will be skipped.",
					def: true, selector: booleanSel, coerce: isBoolValue}},
				entity: automationTrigger},
			"turn_on": {name: "Turn on", description: "Enables an automation.", domain: "automation", entity: setState("on")},
			"turn_off": {name: "Turn off", description: "Disables an automation.", domain: "automation",
				fields: []serviceField{{key: "stop_actions", name: "Stop actions", description: "Stops currently running actions.",
					def: true, selector: booleanSel, coerce: isBoolValue}},
				entity: setState("off")},
			"toggle": {name: "Toggle", description: "Toggles (enable / disable) an automation.", domain: "automation", entity: toggleState},
		},
		"homeassistant": {
			"turn_on":  {name: "Generic turn on", description: "Generic action to turn devices on under any domain.", domain: "*", extra: true, run: generic("turn_on")},
			"turn_off": {name: "Generic turn off", description: "Generic action to turn devices off under any domain.", domain: "*", extra: true, run: generic("turn_off")},
			"toggle":   {name: "Generic toggle", description: "Generic action to toggle devices on/off under any domain.", domain: "*", extra: true, run: generic("toggle")},
		},
	}
}

// describe is the service as get_services shows it (HA-PROTOCOL.md §10).
func (d *serviceDef) describe() object {
	fields := object{}
	for i := range d.fields {
		fields = append(fields, member{d.fields[i].key, d.fields[i].describe()})
	}
	o := object{{"name", d.name}, {"description", d.description}, {"fields", fields}}
	switch d.domain {
	case "":
	case "*":
		o = append(o, member{"target", object{{"entity", []any{object{}}}}})
	default:
		filter := object{{"domain", []any{d.domain}}}
		if d.features != nil {
			filter = append(filter, member{"supported_features", toAny(d.features)})
		}
		o = append(o, member{"target", object{{"entity", []any{filter}}}})
	}
	if d.response != "" {
		o = append(o, member{"response", object{{"optional", d.response == "optional"}}})
	}
	return o
}

// handleGetServices is get_services: every service's description, by domain then service.
func handleGetServices(h *home, c *conn, id int64, _ map[string]any) error {
	result := object{}
	for _, domain := range slices.Sorted(maps.Keys(h.services)) {
		svcs := object{}
		for _, name := range slices.Sorted(maps.Keys(h.services[domain])) {
			svcs = append(svcs, member{name, h.services[domain][name].describe()})
		}
		result = append(result, member{domain, svcs})
	}
	h.send(c, resultMessage(id, result))
	return nil
}
