package simulator

import (
	"maps"
	"slices"
	"strings"
)

// This file reads service targets: entity, device, area, floor and label ids, as HA's
// cv.ENTITY_SERVICE_FIELDS accepts them and as helpers/service.py resolves them to entities.

// isTemplate reports whether s is a template string, as HA's is_template_string decides.
func isTemplate(s string) bool {
	return strings.Contains(s, "{{") || strings.Contains(s, "{%") || strings.Contains(s, "{#")
}

// isComplex reports whether v holds a template anywhere (HA's template.is_complex).
func isComplex(v any) bool {
	switch v := v.(type) {
	case string:
		return isTemplate(v)
	case []any:
		return slices.ContainsFunc(v, isComplex)
	case map[string]any:
		for _, e := range v {
			if isComplex(e) {
				return true
			}
		}
	}
	return false
}

// invalidEntityID is cv.entity_id's error for item i of a list of entity ids.
func invalidEntityID(v any, i int) *invalid {
	s, ok := v.(string)
	if !ok {
		s = pyRepr(v)
	}
	return &invalid{msg: "Entity ID " + s + " is an invalid entity ID", path: []any{i}, plain: true}
}

// entityIDList is cv.entity_ids: a comma-separated string or a list, each item a valid entity id,
// lowercased. allowTemplates lets template strings through unchanged (target fields).
func entityIDList(v any, allowTemplates bool) ([]any, *invalid) {
	var items []any
	switch v := v.(type) {
	case string:
		if allowTemplates && isTemplate(v) {
			return []any{v}, nil
		}
		for _, part := range strings.Split(v, ",") {
			items = append(items, strings.TrimSpace(part))
		}
	case []any:
		items = v
	default:
		items = []any{v}
	}
	out := make([]any, 0, len(items))
	for i, item := range items {
		s, ok := item.(string)
		if ok && allowTemplates && isTemplate(s) {
			out = append(out, s)
			continue
		}
		if !ok || !validEntityID(strings.ToLower(s)) {
			return nil, invalidEntityID(item, i)
		}
		out = append(out, strings.ToLower(s))
	}
	return out, nil
}

// isEntityIDs is subscribe_entities' entity_ids schema.
func isEntityIDs(v any) *invalid {
	_, bad := entityIDList(v, false)
	return bad
}

// coerceTarget checks and normalises one target key of service data: entity_id becomes a list of
// entity ids ("all" and "none" stay as they are), the others a list of strings.
func coerceTarget(key string, v any) (any, *invalid) {
	if s, ok := v.(string); ok && (s == "none" || key == "entity_id" && strings.ToLower(s) == "all") {
		return strings.ToLower(s), nil
	}
	if key == "entity_id" {
		return entityIDList(v, false)
	}
	items, ok := v.([]any)
	if !ok {
		items = []any{v}
	}
	for i, item := range items {
		if _, ok := item.(string); !ok {
			return nil, &invalid{msg: "expected str", path: []any{i}}
		}
	}
	return items, nil
}

// isTarget is call_service's target schema: a mapping of the target keys, whose values may be
// templates (call_service refuses those afterwards, see isComplex).
func isTarget(v any) *invalid {
	m, ok := v.(map[string]any)
	if !ok {
		return &invalid{msg: "expected a dictionary"}
	}
	for _, k := range slices.Sorted(maps.Keys(m)) {
		if !slices.Contains(targetKeys, k) {
			return &invalid{msg: "extra keys not allowed", path: []any{k}, plain: true}
		}
		var bad *invalid
		if k == "entity_id" {
			_, bad = entityIDList(m[k], true)
		} else if s, ok := m[k].(string); !ok || isTemplate(s) {
			_, bad = coerceTarget(k, m[k])
		}
		if bad != nil {
			bad.path = append([]any{k}, bad.path...)
			bad.plain = true
			return bad
		}
	}
	return nil
}

// targetStrings reads a coerced target value as a list of strings.
func targetStrings(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case []any:
		var out []string
		for _, e := range v {
			if s, ok := e.(string); ok {
				out = append(out, s)
			}
		}
		return out
	case []string:
		return v
	}
	return nil
}

// resolveTarget returns the existing entities a service call's data targets, sorted: those named
// by entity_id ("all" = every entity), and, as HA's async_extract_referenced_entity_ids does,
// the visible entities of the named devices, areas (with their devices), floors and labels (with
// the labelled areas and devices). An entity with an area of its own is in that area, whatever
// its device's area.
func (h *home) resolveTarget(data map[string]any) []string {
	found := map[string]bool{}
	for _, id := range targetStrings(data["entity_id"]) {
		if id == "all" {
			for eid := range h.states {
				found[eid] = true
			}
		} else if _, ok := h.states[id]; ok {
			found[id] = true
		}
	}
	devices := set(targetStrings(data["device_id"]))
	areas := set(targetStrings(data["area_id"]))
	labels := set(targetStrings(data["label_id"]))
	floors := set(targetStrings(data["floor_id"]))
	for _, a := range h.reg.areas {
		if a.FloorID != "" && floors[a.FloorID] || slices.ContainsFunc(a.Labels, func(l string) bool { return labels[l] }) {
			areas[a.AreaID] = true
		}
	}
	if len(devices)+len(areas)+len(labels) > 0 {
		inArea := map[string]bool{} // devices in a targeted area: only their entities without an area of their own
		for _, d := range h.reg.devices {
			if slices.ContainsFunc(d.Labels, func(l string) bool { return labels[l] }) {
				devices[d.ID] = true
			}
			if areas[h.reg.deviceArea(d)] { // a child device without an area is in its parent's
				inArea[d.ID] = true
			}
		}
		for id, e := range h.reg.entities {
			if e.EntityCategory != "" || e.HiddenBy != "" {
				continue // HA leaves config, diagnostic and hidden entities out of indirect targets
			}
			byDevice := e.DeviceID != "" && (devices[e.DeviceID] || inArea[e.DeviceID] && e.AreaID == "")
			if byDevice || e.AreaID != "" && areas[e.AreaID] || slices.ContainsFunc(e.Labels, func(l string) bool { return labels[l] }) {
				if _, ok := h.states[id]; ok {
					found[id] = true
				}
			}
		}
	}
	return slices.Sorted(maps.Keys(found))
}

// set makes a set of strings.
func set(items []string) map[string]bool {
	m := make(map[string]bool, len(items))
	for _, s := range items {
		m[s] = true
	}
	return m
}
