package filter

import "strings"

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
		domain, _, _ := strings.Cut(e, ".")
		if !has(scope.Entities, e) && !matchAny(scope.EntityGlobs, e) && !scope.matchDomain(domain) {
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

func (f *Filter) matchDomain(d string) bool {
	return has(f.Domains, d) || matchAny(f.DomainGlobs, d)
}
