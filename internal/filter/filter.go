package filter

import (
	"encoding/json"
	"slices"
	"strings"
)

// Filter is one subscriber's filter (SPEC.md §4.1). Parse leaves every list sorted and free of
// duplicates, and nil when nothing was asked for in its dimension; [Filter.Match] relies on the
// order. The zero Filter, like a nil *Filter, lets every event through.
type Filter struct {
	Types         []string // exact event types, HA's names (aliases resolved by hass.Canonical)
	TypeGlobs     []Glob   // event type patterns, matched against HA's name and its alias
	Entities      []string // exact entity ids
	EntityGlobs   []Glob   // entity id patterns
	Domains       []string // exact domains
	DomainGlobs   []Glob   // domain patterns
	DeviceClasses []string // exact device classes
	Areas         []string // area ids or names
	Labels        []string // label ids
	StateOnly     bool     // changes=state: drop state_changed events where only attributes changed
}

// normalize sorts every list and removes duplicates.
func (f *Filter) normalize() {
	for _, s := range []*[]string{&f.Types, &f.Entities, &f.Domains, &f.DeviceClasses, &f.Areas, &f.Labels} {
		slices.Sort(*s)
		*s = slices.Compact(*s)
	}
	for _, g := range []*[]Glob{&f.TypeGlobs, &f.EntityGlobs, &f.DomainGlobs} {
		slices.SortFunc(*g, func(a, b Glob) int { return strings.Compare(a.pattern, b.pattern) })
		*g = slices.CompactFunc(*g, Glob.Equal)
	}
}

// MarshalJSON writes the filter as the "filters" object of the connection event (SPEC.md §4.4):
// {"event_types":[…],"entity_id":[…],"domain":[…],"device_class":[…],"area":[…],"label":[…],"changes":"state"}, each
// list with the exact values first and then the patterns, dimensions not asked for left out, and
// {} for no filter at all. Event types are HA's names.
func (f *Filter) MarshalJSON() ([]byte, error) {
	if f == nil {
		return []byte("{}"), nil
	}
	var changes string
	if f.StateOnly {
		changes = "state"
	}
	return json.Marshal(struct {
		EventTypes  []string `json:"event_types,omitempty"`
		EntityID    []string `json:"entity_id,omitempty"`
		Domain      []string `json:"domain,omitempty"`
		DeviceClass []string `json:"device_class,omitempty"`
		Area        []string `json:"area,omitempty"`
		Label       []string `json:"label,omitempty"`
		Changes     string   `json:"changes,omitempty"`
	}{
		patterns(f.Types, f.TypeGlobs),
		patterns(f.Entities, f.EntityGlobs),
		patterns(f.Domains, f.DomainGlobs),
		f.DeviceClasses,
		f.Areas,
		f.Labels,
		changes,
	})
}

// SubscriptionRow is one row of a connection's "subscriptions" in the statistics tool (SPEC.md
// §6.1): an event type, and an entity id or a domain, each exact or a pattern. An empty field
// means the filter does not narrow that dimension; it is written as JSON null.
type SubscriptionRow struct {
	EventType string
	EntityID  string
	Domain    string
}

// MarshalJSON writes {"event_type","entity_id","domain"}, with null for empty fields.
func (s SubscriptionRow) MarshalJSON() ([]byte, error) {
	return json.Marshal(struct {
		EventType *string `json:"event_type"`
		EntityID  *string `json:"entity_id"`
		Domain    *string `json:"domain"`
	}{nullable(s.EventType), nullable(s.EntityID), nullable(s.Domain)})
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// Subscriptions returns the filter as rows for the statistics tool. While that takes no more
// rows than patterns, there is one per pair of an event type and an entity id or domain (each
// exact or a pattern), so that an event passes the type, entity and domain filters exactly when
// it fits one row; past that, one row per pattern (SPEC.md §6), its other fields empty, so that
// a filter of a few hundred items cannot make every statistics answer hold tens of thousands
// of rows. Device classes and changes=state are not part of the rows. A filter that does not
// narrow types, entities or domains has a single row with all fields empty. The caller owns the
// returned slice.
func (f *Filter) Subscriptions() []SubscriptionRow {
	if f == nil {
		return []SubscriptionRow{{}}
	}
	types := patterns(f.Types, f.TypeGlobs)
	if len(types) == 0 {
		types = []string{""}
	}
	var targets []SubscriptionRow // EntityID or Domain set
	for _, e := range patterns(f.Entities, f.EntityGlobs) {
		targets = append(targets, SubscriptionRow{EntityID: e})
	}
	for _, d := range patterns(f.Domains, f.DomainGlobs) {
		targets = append(targets, SubscriptionRow{Domain: d})
	}
	if len(targets) == 0 {
		targets = []SubscriptionRow{{}}
	}
	if len(types)*len(targets) > len(types)+len(targets) {
		rows := make([]SubscriptionRow, 0, len(types)+len(targets))
		for _, t := range types {
			rows = append(rows, SubscriptionRow{EventType: t})
		}
		return append(rows, targets...)
	}
	rows := make([]SubscriptionRow, 0, len(types)*len(targets))
	for _, t := range types {
		for _, target := range targets {
			target.EventType = t
			rows = append(rows, target)
		}
	}
	return rows
}

// patterns lists exact values and then the patterns of one dimension, nil when both are empty.
func patterns(exact []string, globs []Glob) []string {
	if len(exact)+len(globs) == 0 {
		return nil
	}
	out := make([]string, 0, len(exact)+len(globs))
	out = append(out, exact...)
	for _, g := range globs {
		out = append(out, g.String())
	}
	return out
}
