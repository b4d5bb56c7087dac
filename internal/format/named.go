package format

import "hasse/internal/hass"

// appendNamedMessage appends ev as a [Named] message: its event: line is HA's event type.
func appendNamedMessage(dst []byte, ev *hass.Event) []byte {
	dst, start, data := beginMessage(dst, ev.Type, ev.ID)
	dst = appendNamed(dst, ev)
	return endMessage(dst, ev.Type, ev.ID, start, data)
}

// appendNamed appends the named JSON of ev (SPEC.md §4.3): HA's event with its data flattened,
//
//	{"event_type",<the members of HA's data>,"time_fired","origin","context"}
//
// origin is left out when HA gave none; context is null when HA gave none. Data that is not an
// object contributes no members. Should HA's data hold a key named like one of the others, both
// are written; JSON.parse keeps the later one, so ours win but for event_type.
func appendNamed(dst []byte, ev *hass.Event) []byte {
	dst = append(dst, `{"event_type":`...)
	dst = appendString(dst, ev.Type)
	dst, _ = appendMembers(dst, ev.Data, true)
	dst = append(dst, `,"time_fired":`...)
	dst = appendString(dst, ev.TimeFired)
	dst = appendOptional(dst, `,"origin":`, ev.Origin)
	dst = append(dst, `,"context":`...)
	dst = appendValue(dst, ev.Context)
	return append(dst, '}')
}
