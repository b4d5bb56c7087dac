package hub

import (
	"slices"

	"hasse/internal/filter"
	"hasse/internal/hass"
)

// index finds the clients an event may interest without looking at the others. Each client is
// filed under the most selective exact values its filter has: its entity ids and domains when it
// names them without patterns, else its event types when it names them without patterns, else
// (patterns only, or no filter) in a short list checked for every event. The filter itself
// decides for each candidate, so filing only has to be generous, never exact.
type index struct {
	byEntity map[string][]*Client
	byDomain map[string][]*Client
	byType   map[string][]*Client
	scan     []*Client
	gen      uint64 // advances once per lookup; a client seen in this lookup carries it
}

func newIndex() *index {
	return &index{
		byEntity: make(map[string][]*Client),
		byDomain: make(map[string][]*Client),
		byType:   make(map[string][]*Client),
	}
}

// filing names the buckets a filter's client lives in.
type filing struct {
	entities, domains, types []string
	scan                     bool
}

func fileOf(f *filter.Filter) filing {
	switch {
	case f == nil:
		return filing{scan: true}
	case (len(f.Entities) > 0 || len(f.Domains) > 0) && len(f.EntityGlobs) == 0 && len(f.DomainGlobs) == 0:
		return filing{entities: f.Entities, domains: f.Domains}
	case len(f.Types) > 0 && len(f.TypeGlobs) == 0:
		return filing{types: f.Types}
	default:
		return filing{scan: true}
	}
}

func (x *index) add(c *Client) {
	fl := fileOf(c.Filter)
	if fl.scan {
		x.scan = append(x.scan, c)
		return
	}
	for _, e := range fl.entities {
		x.byEntity[e] = append(x.byEntity[e], c)
	}
	for _, d := range fl.domains {
		x.byDomain[d] = append(x.byDomain[d], c)
	}
	for _, t := range fl.types {
		x.byType[t] = append(x.byType[t], c)
	}
}

func (x *index) remove(c *Client) {
	fl := fileOf(c.Filter)
	if fl.scan {
		x.scan = without(x.scan, c)
		return
	}
	removeFrom(x.byEntity, fl.entities, c)
	removeFrom(x.byDomain, fl.domains, c)
	removeFrom(x.byType, fl.types, c)
}

func removeFrom(m map[string][]*Client, keys []string, c *Client) {
	for _, k := range keys {
		if rest := without(m[k], c); len(rest) > 0 {
			m[k] = rest
		} else {
			delete(m, k)
		}
	}
}

func without(list []*Client, c *Client) []*Client {
	if i := slices.Index(list, c); i >= 0 {
		last := len(list) - 1
		list[i] = list[last]
		list[last] = nil
		list = list[:last]
	}
	return list
}

// appendMatches appends to dst every client whose filter matches ev, each once.
func (x *index) appendMatches(dst []*Client, ev *hass.Event) []*Client {
	x.gen++
	for _, e := range ev.Entities {
		dst = x.check(dst, x.byEntity[e], ev)
	}
	if ev.Domain != "" {
		dst = x.check(dst, x.byDomain[ev.Domain], ev)
	}
	dst = x.check(dst, x.byType[ev.Type], ev)
	return x.check(dst, x.scan, ev)
}

func (x *index) check(dst, candidates []*Client, ev *hass.Event) []*Client {
	for _, c := range candidates {
		if c.seen == x.gen {
			continue
		}
		c.seen = x.gen
		if c.wants(ev) {
			dst = append(dst, c)
		}
	}
	return dst
}
