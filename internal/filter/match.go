package filter

import (
	"slices"
	"strings"

	"hasse/internal/hass"
)

// Match reports whether ev passes the filter (SPEC.md §4.1): its type is one of the types (when
// types are given), and one of its entities matches an entity_id pattern or its domain matches a
// domain pattern (when either is given), and its device class is one of the device classes (when
// given), its area (or one of a call_service's areas) one of the areas and one of its labels one
// of the labels (each when given), and with changes=state it is not a state_changed event where
// only attributes changed. An event without an entity can match only domain filters. A nil
// *Filter matches every event.
//
// Match does not allocate and does not modify f or ev; it may be called from any goroutine.
func (f *Filter) Match(ev *hass.Event) bool {
	if f == nil {
		return true
	}
	if f.StateOnly && ev.Type == hass.TypeStateChanged && !ev.StateChanged {
		return false
	}
	if len(f.DeviceClasses) > 0 && !has(f.DeviceClasses, ev.DeviceClass) {
		return false
	}
	if len(f.Areas) > 0 && !f.matchArea(ev) {
		return false
	}
	if len(f.Labels) > 0 && !slices.ContainsFunc(ev.Labels, func(l string) bool { return has(f.Labels, l) }) {
		return false
	}
	return f.matchType(ev.Type) && f.matchTarget(ev)
}

// matchType reports whether the event type t (HA's name) passes the type filters. Patterns are
// tried on HA's name and on its alias, so "service_*" takes call_service (service_called).
func (f *Filter) matchType(t string) bool {
	if len(f.Types) == 0 && len(f.TypeGlobs) == 0 {
		return true
	}
	if has(f.Types, t) {
		return true
	}
	if len(f.TypeGlobs) == 0 {
		return false
	}
	alias := hass.Alias(t)
	for _, g := range f.TypeGlobs {
		if g.Match(t) || alias != t && g.Match(alias) {
			return true
		}
	}
	return false
}

// matchTarget reports whether ev passes the entity and domain filters: any of its entities
// matches an entity filter, or its domain matches a domain filter.
func (f *Filter) matchTarget(ev *hass.Event) bool {
	if len(f.Entities) == 0 && len(f.EntityGlobs) == 0 && len(f.Domains) == 0 && len(f.DomainGlobs) == 0 {
		return true
	}
	for _, e := range ev.Entities {
		if has(f.Entities, e) || matchAny(f.EntityGlobs, e) {
			return true
		}
	}
	return ev.Domain != "" && (has(f.Domains, ev.Domain) || matchAny(f.DomainGlobs, ev.Domain))
}

// has reports whether the sorted list holds s. Short lists are scanned, which is faster than a
// binary search: == compares the lengths first.
func has(sorted []string, s string) bool {
	if len(sorted) <= 8 {
		return slices.Contains(sorted, s)
	}
	_, found := slices.BinarySearch(sorted, s)
	return found
}

// matchAny reports whether any of the patterns matches s.
func matchAny(globs []Glob, s string) bool {
	for _, g := range globs {
		if g.Match(s) {
			return true
		}
	}
	return false
}

// matchArea reports whether ev's entity, or any area a call_service concerns, is in one of the
// areas, named by id or by name (names compared without regard to case).
func (f *Filter) matchArea(ev *hass.Event) bool {
	if ev.Area != "" && f.hasArea(ev.Area, ev.AreaName) {
		return true
	}
	for _, a := range ev.Areas {
		if f.hasArea(a.ID, a.Name) {
			return true
		}
	}
	return false
}

// hasArea reports whether the area id, named name, is one of the filter's areas.
func (f *Filter) hasArea(id, name string) bool {
	if has(f.Areas, id) {
		return true
	}
	for _, a := range f.Areas {
		if strings.EqualFold(a, name) {
			return true
		}
	}
	return false
}
