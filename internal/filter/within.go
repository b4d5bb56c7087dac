package filter

import (
	"errors"
	"net/url"
	"strconv"
)

// ScopeError is a filter that names exactly something its asker's scope does not allow; the
// SSE endpoint answers it with 403 FORBIDDEN, MCP with a tool error.
type ScopeError struct {
	Param string // the parameter that names it, by the SSE endpoint's name: events, entity_id or domain
	Value string // what it names, e.g. "lock.front_door"
}

// Error returns e.g. `"lock.front_door" (parameter "entity_id") is outside what this token may see`.
func (e *ScopeError) Error() string {
	return strconv.Quote(e.Value) + " (parameter " + strconv.Quote(e.Param) + ") is outside what this token may see"
}

// ParseWithin is the rule for what a client may subscribe to, for every way in: it reads the
// filter parameters v as [Parse] does (a bad one: *[ParamError]), refuses areas and labels while
// Home Assistant's registries are unavailable (registry says why, "" when they are available;
// nil: always available), and refuses what scope does not allow (*[ScopeError], see
// [Filter.Refuses]). Every error's message is fit for the client.
func ParseWithin(v url.Values, scope *Filter, registry func() string) (*Filter, error) {
	return (*Shared)(nil).ParseWithin(v, scope, registry)
}

// ParseWithin is [ParseWithin] with the filter shared as [Shared.Parse] shares it; a nil s
// parses afresh.
func (s *Shared) ParseWithin(v url.Values, scope *Filter, registry func() string) (*Filter, error) {
	parse := Parse
	if s != nil {
		parse = s.Parse
	}
	f, err := parse(v)
	if err != nil {
		return nil, err
	}
	if (len(f.Areas) > 0 || len(f.Labels) > 0) && registry != nil {
		if problem := registry(); problem != "" {
			return nil, errors.New(`parameters "area" and "label" are unavailable: ` + problem)
		}
	}
	if param, value, refused := scope.Refuses(f); refused {
		return nil, &ScopeError{Param: param, Value: value}
	}
	return f, nil
}
