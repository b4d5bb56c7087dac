package filter

import (
	"strings"

	"hasse/internal/hass"
)

// A scope is a Filter that limits what a token may see (SPEC.md §5.2): a client's events must
// pass both its own filter and its scope. What the client names exactly must lie within the scope
// (else 403); what it names by pattern is narrowed to the scope silently.

// Refuses returns the first value f names exactly that scope does not allow: an event type
// outside scope's types, an entity outside its entities and domains, or a domain outside its
// domains when the scope names no entities. A nil scope refuses nothing.
func (scope *Filter) Refuses(f *Filter) (param, value string, refused bool) {
	if scope == nil || f == nil {
		return "", "", false
	}
	for _, t := range f.Types {
		if !scope.matchType(t) {
			return "events", t, true
		}
	}
	targets := len(scope.Entities) > 0 || len(scope.EntityGlobs) > 0 || len(scope.Domains) > 0 || len(scope.DomainGlobs) > 0
	if !targets {
		return "", "", false
	}
	for _, e := range f.Entities {
		if !scope.coversEntity(e) {
			return "entity_id", e, true
		}
	}
	if len(scope.Entities) == 0 && len(scope.EntityGlobs) == 0 {
		for _, d := range f.Domains {
			if !scope.matchDomain(d) {
				return "domain", d, true
			}
		}
	}
	return "", "", false
}

// Allows reports whether a token with this scope may see ev: ev matches the scope and, when the
// scope names entities or domains, every entity ev names lies within them. A service call on
// light.kitchen and lock.front_door is not shown to a token scoped to lights: its data would
// show the lock, and what was asked of it. A nil scope allows everything.
func (scope *Filter) Allows(ev *hass.Event) bool {
	if scope == nil {
		return true
	}
	if !scope.Match(ev) {
		return false
	}
	if len(ev.Entities) < 2 || len(scope.Entities) == 0 && len(scope.EntityGlobs) == 0 && len(scope.Domains) == 0 && len(scope.DomainGlobs) == 0 {
		return true
	}
	for _, e := range ev.Entities {
		if !scope.coversEntity(e) {
			return false
		}
	}
	return true
}

// coversEntity reports whether the entity e lies within the scope's entities or domains.
func (scope *Filter) coversEntity(e string) bool {
	domain, _, _ := strings.Cut(e, ".")
	return has(scope.Entities, e) || matchAny(scope.EntityGlobs, e) || scope.matchDomain(domain)
}

func (f *Filter) matchDomain(d string) bool {
	return has(f.Domains, d) || matchAny(f.DomainGlobs, d)
}
