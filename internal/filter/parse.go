package filter

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"unicode/utf8"

	"hasse/internal/hass"
)

// Limits on the filter parameters (SPEC.md §4.1). A request over any of them is refused.
const (
	MaxItems      = 100  // items in one parameter, counted across its repeats
	MaxValueBytes = 2048 // bytes in one raw value, before it is cut at commas
	MaxItemBytes  = 255  // bytes in one item: an entity id, domain, event type, device class or pattern
	// MaxPatterns bounds the patterns ('*' or '?') of one request, across domain, entity_id and the
	// event type parameters: exact values are looked up, but every pattern is matched against every
	// candidate event (and against the whole replay window on a resume).
	MaxPatterns = 32
)

// params are the parameters Parse reads, in the order it checks them: the first bad one is
// the one reported.
var params = [...]string{
	"domain", "entity_id", "events", "event_types", "types", "type",
	"changes", "device_class", "area", "label",
}

// IsParam reports whether Parse reads the parameter called name, so that the caller can list the
// names that nobody reads as ignored (SPEC.md §4.1).
func IsParam(name string) bool {
	for _, p := range params {
		if p == name {
			return true
		}
	}
	return false
}

// ParamError reports a filter parameter with a bad value; the HTTP layer answers it with 400
// INVALID_PARAMETER (SPEC.md §8). Reason quotes the offending item where there is one.
type ParamError struct {
	Param  string // the parameter's name, e.g. "entity_id"
	Reason string // what is wrong, e.g. `"light..x" is not an entity id or pattern`
}

// Error returns e.g. `invalid parameter "entity_id": "light..x" is not an entity id or pattern`.
func (e *ParamError) Error() string {
	return "invalid parameter " + strconv.Quote(e.Param) + ": " + e.Reason
}

// Parse reads the filter parameters of SPEC.md §4.1 from v (the query string and body values,
// already merged by the caller) and ignores every other key. Each parameter may repeat and each
// value is a comma list; items are trimmed of spaces and empty items are ignored.
//
//   - domain, entity_id: exact values or patterns ('*', '?'; see [Glob]).
//   - events, event_types, types: event types or patterns; the aliases of SPEC.md §4.2 are
//     accepted and exact types are stored under HA's name.
//   - type: "state" means state_changed; any other item is an event type, as for events.
//   - changes: "state" sets [Filter.StateOnly]; nothing else is valid.
//   - device_class: exact device classes.
//   - area: area ids or names (an entity's own area, or its device's); names may hold spaces.
//   - label: label ids.
//
// Every error is a *[ParamError] naming the first bad parameter in the order above.
func Parse(v url.Values) (*Filter, error) {
	f := new(Filter)
	for _, name := range params {
		items, err := split(name, v[name])
		if err != nil {
			return nil, err
		}
		for _, item := range items {
			if reason := f.add(name, item); reason != "" {
				return nil, &ParamError{Param: name, Reason: reason}
			}
		}
		if n := len(f.TypeGlobs) + len(f.EntityGlobs) + len(f.DomainGlobs); n > MaxPatterns {
			reason := fmt.Sprintf("%d patterns in one request, more than the limit of %d", n, MaxPatterns)
			return nil, &ParamError{Param: name, Reason: reason}
		}
	}
	f.normalize()
	return f, nil
}

// split cuts the values of one parameter into its items and checks the limits.
func split(name string, values []string) ([]string, error) {
	var items []string
	for _, value := range values {
		if len(value) > MaxValueBytes {
			reason := fmt.Sprintf("value of %d bytes is longer than the limit of %d", len(value), MaxValueBytes)
			return nil, &ParamError{Param: name, Reason: reason}
		}
		for item := range strings.SplitSeq(value, ",") {
			item = strings.TrimSpace(item)
			if item == "" {
				continue
			}
			if len(item) > MaxItemBytes {
				reason := fmt.Sprintf("%s is %d bytes, longer than the limit of %d", quote(item), len(item), MaxItemBytes)
				return nil, &ParamError{Param: name, Reason: reason}
			}
			items = append(items, item)
		}
	}
	if len(items) > MaxItems {
		reason := fmt.Sprintf("%d items, more than the limit of %d", len(items), MaxItems)
		return nil, &ParamError{Param: name, Reason: reason}
	}
	return items, nil
}

// add adds one item of parameter name to f and returns why it is bad, or "".
func (f *Filter) add(name, item string) string {
	glob := strings.ContainsAny(item, "*?")
	switch name {
	case "domain":
		if !validDomain(item) {
			return quote(item) + " is not a domain or pattern"
		}
		if glob {
			f.DomainGlobs = append(f.DomainGlobs, compileGlob(item))
		} else {
			f.Domains = append(f.Domains, item)
		}
	case "entity_id":
		if !validEntity(item) {
			return quote(item) + " is not an entity id or pattern"
		}
		if glob {
			f.EntityGlobs = append(f.EntityGlobs, compileGlob(item))
		} else {
			f.Entities = append(f.Entities, item)
		}
	case "events", "event_types", "types", "type":
		if name == "type" && item == "state" {
			item = hass.TypeStateChanged
		}
		if !validType(item) {
			return quote(item) + " is not an event type or pattern"
		}
		if glob {
			f.TypeGlobs = append(f.TypeGlobs, compileGlob(item))
		} else {
			f.Types = append(f.Types, hass.Canonical(item))
		}
	case "changes":
		if item != "state" {
			return quote(item) + ` is not a kind of change; the only one is "state"`
		}
		f.StateOnly = true
	case "device_class":
		if !validWord(item) {
			return quote(item) + " is not a device class (lowercase letters, digits and _; no patterns)"
		}
		f.DeviceClasses = append(f.DeviceClasses, item)
	case "area":
		if strings.ContainsFunc(item, func(r rune) bool { return r < ' ' || r == 0x7f }) || !utf8.ValidString(item) {
			return quote(item) + " is not an area id or name"
		}
		f.Areas = append(f.Areas, item)
	case "label":
		if !validWord(item) {
			return quote(item) + " is not a label id (lowercase letters, digits and _)"
		}
		f.Labels = append(f.Labels, item)
	}
	return ""
}

// quote quotes an item for an error message, cut short if it is long.
func quote(item string) string {
	const shown = 64 // bytes
	if len(item) > shown {
		return strconv.Quote(item[:shown]) + "…"
	}
	return strconv.Quote(item)
}

// validDomain reports whether s is a domain ("light") or a pattern of domains.
func validDomain(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) && !isWildcard(s[i]) {
			return false
		}
	}
	return true
}

// validEntity reports whether s is an entity id ("light.kitchen") or a pattern of them. HA's own
// rule also forbids leading, trailing and double underscores; hasse does not insist. A pattern
// has at most one dot, with something on either side of it; without a dot it needs a '*' to
// stand for one ("*_temperature").
func validEntity(s string) bool {
	dot, star := -1, false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == '.':
			if dot >= 0 {
				return false
			}
			dot = i
		case c == '*':
			star = true
		case !isWordByte(c) && c != '?':
			return false
		}
	}
	if dot < 0 {
		return star
	}
	return dot > 0 && dot < len(s)-1
}

// validType reports whether s is an event type or a pattern of them. Integrations fire their own
// types, so any name made of letters, digits and "_.:-" is one.
func validType(s string) bool {
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !isWordByte(c) && !isWildcard(c) && !('A' <= c && c <= 'Z') && c != '.' && c != ':' && c != '-' {
			return false
		}
	}
	return true
}

// validWord reports whether s is made of lowercase letters, digits and underscores only.
func validWord(s string) bool {
	for i := 0; i < len(s); i++ {
		if !isWordByte(s[i]) {
			return false
		}
	}
	return true
}

func isWordByte(c byte) bool { return 'a' <= c && c <= 'z' || '0' <= c && c <= '9' || c == '_' }

func isWildcard(c byte) bool { return c == '*' || c == '?' }
