package hass

import (
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"hasse/internal/hass/jsonscan"
)

// ErrNoop is returned by [Normalize] for a state_changed event that sanitising turned into a
// no-op: a camera rotating its access token every 5 minutes changes nothing but secrets. The
// event is to be dropped (SPEC.md §5.3).
var ErrNoop = errors.New("state_changed only changed secrets")

// Normalize turns the event object of a Home Assistant event message ({"event_type", "data",
// "origin", "time_fired", "context"}) into an [Event] received at received, sanitised by s (nil:
// not sanitised). It returns [ErrNoop] for an event to drop, and an error for anything that is
// not such an event. The Event does not retain raw. Normalize is safe for concurrent use.
func Normalize(raw []byte, received time.Time, s *Sanitizer) (*Event, error) {
	compact, err := jsonscan.Validate(raw)
	if err != nil {
		return nil, err
	}
	ev, _, err := NormalizeValidated(raw[jsonscan.SkipSpace(raw, 0):], compact, received, s)
	return ev, err
}

// NormalizeValidated is [Normalize] for an event at the start of raw, within a document the
// caller has validated ([jsonscan.Validate]) and which may go on after the event: a message of a
// frame whose other members the caller reads itself. It also returns the event's length, even
// with an error. compactRaw says whether raw holds no whitespace between tokens.
func NormalizeValidated(raw []byte, compactRaw bool, received time.Time, s *Sanitizer) (*Event, int, error) {
	if raw[0] != '{' {
		return nil, jsonscan.Skip(raw, 0), errors.New("event is not an object")
	}
	ev := &Event{Received: received}
	var data, ctx []byte
	var d dataFields
	m := jsonscan.Walk(raw)
	for key, ok := m.Key(); ok; key, ok = m.Key() {
		switch string(key) {
		case "event_type":
			ev.Type = internString(m.Value())
		case "data":
			start := m.At()
			d = dataFields{}
			m.SkipTo(start + d.parse(raw[start:]))
			data = raw[start:m.At()]
		case "origin":
			ev.Origin = internString(m.Value())
		case "time_fired":
			ev.TimeFired, _ = jsonscan.Unquote(m.Value())
		case "context":
			ctx = m.Value()
		}
	}
	ev, err := ev.finish(data, ctx, &d, compactRaw, s)
	return ev, m.At(), err
}

// finish completes ev from its data and context, read into d.
func (ev *Event) finish(data, ctx []byte, d *dataFields, compactRaw bool, s *Sanitizer) (*Event, error) {
	switch {
	case ev.Type == "":
		return nil, errors.New("event has no event_type")
	case isNull(data):
		data = []byte("{}")
	case data[0] != '{':
		return nil, fmt.Errorf("%s event data is not an object", ev.Type)
	}
	switch {
	case isNull(ctx):
		ctx = nil
	case ctx[0] != '{':
		return nil, fmt.Errorf("%s event context is not an object", ev.Type)
	}
	sanitised := false
	if suspect := s != nil && s.suspect(data); suspect || !compactRaw { // rare: rewrite data
		if !compactRaw {
			data, ctx = jsonscan.Compact(data), jsonscan.Compact(ctx)
		}
		if suspect {
			data, sanitised = s.data(data)
		}
		*d = dataFields{}
		d.parse(data)
	}
	// The Event owns one copy of what it keeps; the states are slices of its Data.
	buf := append(make([]byte, 0, len(data)+len(ctx)), data...)
	ev.Data = buf[:len(data):len(data)]
	if ctx != nil {
		ev.Context = append(buf, ctx...)[len(data):]
	}
	if err := ev.derive(d); err != nil {
		return nil, err
	}
	if sanitised && ev.Type == TypeStateChanged && d.secretsOnly() {
		return nil, ErrNoop
	}
	return ev, nil
}

// derive sets the fields of ev that Normalize derives from its data, read into d.
func (ev *Event) derive(d *dataFields) error {
	switch ev.Type {
	case TypeStateChanged:
		return ev.deriveState(d)
	case TypeCallService:
		ev.Domain, _ = jsonscan.Unquote(d.domain)
		ev.Entities = appendEntities(appendEntities(nil, d.serviceEntities), d.targetEntities)
	default:
		ev.Entities = appendEntities(nil, d.entityID)
	}
	if len(ev.Entities) == 1 {
		ev.EntityID = ev.Entities[0]
	}
	if ev.Domain == "" {
		ev.Domain = DomainOf(ev.EntityID)
	}
	if ev.Type == TypeScriptStarted && ev.Domain == "script" {
		ev.ConfigID = ev.EntityID[len("script."):]
	}
	return nil
}

// deriveState sets the fields of a state_changed event.
func (ev *Event) deriveState(d *dataFields) error {
	prev, next := &d.oldState, &d.newState
	switch {
	case prev.bad:
		return errors.New("state_changed old_state is not an object")
	case next.bad:
		return errors.New("state_changed new_state is not an object")
	}
	if prev.present {
		ev.OldState = ev.Data[prev.start:prev.end]
	}
	if next.present {
		ev.NewState = ev.Data[next.start:next.end]
	}
	ev.EntityID, _ = jsonscan.Unquote(d.entityID)
	if ev.EntityID == "" && next.present {
		ev.EntityID, _ = jsonscan.Unquote(next.entityID)
	}
	if ev.EntityID == "" && prev.present {
		ev.EntityID, _ = jsonscan.Unquote(prev.entityID)
	}
	if ev.EntityID != "" {
		ev.Entities = []string{ev.EntityID}
	}
	ev.Domain = DomainOf(ev.EntityID)
	ev.State = internString(next.state)
	ev.StateChanged = !prev.present || !next.present || !bytes.Equal(prev.state, next.state)
	ev.DeviceClass = internString(next.deviceClass)
	if !next.present { // removal
		ev.DeviceClass = internString(prev.deviceClass)
	}
	return nil
}

// dataFields are what Normalize reads from an event's data, in one pass over it. Slices point
// into the data read; offsets are from its start.
type dataFields struct {
	entityID, domain                []byte // values of entity_id, domain
	oldState, newState              stateFields
	serviceEntities, targetEntities []byte // values of service_data.entity_id, service_data.target.entity_id
}

// stateFields are what Normalize reads from a state object.
type stateFields struct {
	present, bad                 bool // an object; neither an object nor null
	start, end                   int
	entityID, state, deviceClass []byte
	attributes                   []byte
}

// parse reads the data object at the start of b and returns its length.
func (d *dataFields) parse(b []byte) int {
	m := jsonscan.Walk(b)
	for key, ok := m.Key(); ok; key, ok = m.Key() {
		switch string(key) {
		case "entity_id":
			d.entityID = m.Value()
		case "domain":
			d.domain = m.Value()
		case "old_state":
			m.SkipTo(d.oldState.parse(b, m.At()))
		case "new_state":
			m.SkipTo(d.newState.parse(b, m.At()))
		case "service_data":
			sd := jsonscan.WalkAt(b, m.At())
			for key, ok := sd.Key(); ok; key, ok = sd.Key() {
				switch string(key) {
				case "entity_id":
					d.serviceEntities = sd.Value()
				case "target":
					t := jsonscan.WalkAt(b, sd.At())
					for key, ok := t.Key(); ok; key, ok = t.Key() {
						if string(key) == "entity_id" {
							d.targetEntities = t.Value()
						}
					}
					sd.SkipTo(t.At())
				}
			}
			m.SkipTo(sd.At())
		}
	}
	return m.At()
}

// parse reads the state (or null) at b[i] and returns the offset just past it.
func (f *stateFields) parse(b []byte, i int) int {
	*f = stateFields{present: b[i] == '{', bad: b[i] != '{' && b[i] != 'n', start: i}
	m := jsonscan.WalkAt(b, i)
	for key, ok := m.Key(); ok; key, ok = m.Key() {
		switch string(key) {
		case "entity_id":
			f.entityID = m.Value()
		case "state":
			f.state = m.Value()
		case "attributes":
			start := m.At()
			a := jsonscan.WalkAt(b, start)
			for key, ok := a.Key(); ok; key, ok = a.Key() {
				if string(key) == "device_class" {
					f.deviceClass = a.Value()
				}
			}
			m.SkipTo(a.At())
			f.attributes = b[start:m.At()]
		}
	}
	f.end = m.At()
	return f.end
}

// secretsOnly reports whether a sanitised state_changed event changed nothing a subscriber can
// see: same state, same attributes.
func (d *dataFields) secretsOnly() bool {
	prev, next := &d.oldState, &d.newState
	return prev.present && next.present && bytes.Equal(prev.state, next.state) &&
		bytes.Equal(prev.attributes, next.attributes)
}

// appendEntities appends the entity id or list of entity ids val to ids, as Home Assistant reads
// them (cv.comp_entity_ids): a string may list several, comma-separated, and ids are lowercased.
// It skips duplicates, anything that is not a string, "all" and "none", which name no entity
// (the link resolves all through the registries), and names longer than MaxEntityIDBytes.
func appendEntities(ids []string, val []byte) []string {
	addOne := func(id string) {
		id = strings.TrimSpace(id)
		if id != "" && len(id) <= MaxEntityIDBytes && !strings.EqualFold(id, "all") && !strings.EqualFold(id, "none") {
			if !isLower(id) {
				id = strings.ToLower(id)
			}
			if !slices.Contains(ids, id) {
				ids = append(ids, id)
			}
		}
	}
	add := func(v []byte) {
		id, ok := jsonscan.Unquote(v)
		if !ok {
			return
		}
		if strings.IndexByte(id, ',') < 0 {
			addOne(id)
			return
		}
		for part := range strings.SplitSeq(id, ",") {
			addOne(part)
		}
	}
	jsonscan.EachOf(val, add)
	return ids
}

// isLower reports whether s has no upper-case ASCII letter.
func isLower(s string) bool {
	for i := 0; i < len(s); i++ {
		if 'A' <= s[i] && s[i] <= 'Z' {
			return false
		}
	}
	return true
}

// DomainOf returns the domain of entity id, "light" for "light.kitchen", or "" when it has none.
func DomainOf(id string) string {
	if i := strings.IndexByte(id, '.'); i > 0 {
		return id[:i]
	}
	return ""
}

func isNull(b []byte) bool {
	return len(b) == 0 || string(b) == "null"
}
