package format

import "hasse/internal/hass"

// appendEnvelopeMessage appends ev as an [Envelope] message: no event: line, so that
// EventSource.onmessage fires.
func appendEnvelopeMessage(dst []byte, ev *hass.Event) []byte {
	dst, start, data := beginMessage(dst, "", ev.ID)
	dst = AppendEnvelope(dst, ev)
	return endMessage(dst, "", ev.ID, start, data)
}

// AppendEnvelope appends the envelope JSON of ev (SPEC.md §4.3), the data of its [Envelope]
// message, for readers that want the object rather than the SSE message (MCP):
//
//	{"id","type",["origin":"resync"],…,"data":{…},"timestamp":<time_fired>}
//
// with the type's alias (hass.Alias) and, between type and data, the keys seed 2 and seed 3 give
// that type: state_changed has entity_id, domain and state, and as data the new state with
// "old_state" added; call_service has domain, and entity_id when it concerns exactly one entity,
// which it names; automation_triggered and script_started have entity_id and their domain, and
// their data gains "automation_id" or "script_id" as Home Assistant means them (ev.ConfigID: the
// automation's configuration id, the script's object id) when known; any other type has
// entity_id and domain when they are known.
func AppendEnvelope(dst []byte, ev *hass.Event) []byte {
	dst = append(dst, `{"id":`...)
	dst = appendString(dst, ev.ID)
	dst = append(dst, `,"type":`...)
	dst = appendString(dst, hass.Alias(ev.Type))
	if ev.Origin == hass.OriginResync {
		dst = append(dst, `,"origin":"resync"`...)
	}
	switch ev.Type {
	case hass.TypeStateChanged:
		dst = appendStateChanged(dst, ev)
	case hass.TypeCallService:
		dst = appendOptional(dst, `,"domain":`, ev.Domain)
		if len(ev.Entities) <= 1 {
			dst = appendOptional(dst, `,"entity_id":`, ev.EntityID)
		}
		dst = append(dst, `,"data":`...)
		dst = appendObject(dst, ev.Data)
	case hass.TypeAutomationTriggered:
		dst = appendRunner(dst, ev, `,"domain":"automation","data":{`, `"automation_id":`)
	case hass.TypeScriptStarted:
		dst = appendRunner(dst, ev, `,"domain":"script","data":{`, `"script_id":`)
	default:
		dst = appendOptional(dst, `,"entity_id":`, ev.EntityID)
		dst = appendOptional(dst, `,"domain":`, ev.Domain)
		dst = append(dst, `,"data":`...)
		dst = appendObject(dst, ev.Data)
	}
	dst = append(dst, `,"timestamp":`...)
	dst = appendString(dst, ev.TimeFired)
	return append(dst, '}')
}

// appendStateChanged appends the keys of a state_changed envelope from entity_id to data. The
// attributes appear once, inside data. On removal (no new state) state is null and data is
// {"entity_id","new_state":null,"old_state"}, which keeps HA's own keys; otherwise data is the
// new state object with "old_state" (null on creation) added.
func appendStateChanged(dst []byte, ev *hass.Event) []byte {
	dst = appendOptional(dst, `,"entity_id":`, ev.EntityID)
	dst = appendOptional(dst, `,"domain":`, ev.Domain)
	if isNull(ev.NewState) {
		dst = append(dst, `,"state":null,"data":{"entity_id":`...)
		dst = appendString(dst, ev.EntityID)
		dst = append(dst, `,"new_state":null,"old_state":`...)
		dst = appendValue(dst, ev.OldState)
		return append(dst, '}')
	}
	dst = append(dst, `,"state":`...)
	dst = appendString(dst, ev.State)
	dst = append(dst, `,"data":{`...)
	dst, more := appendMembers(dst, ev.NewState, false)
	if more {
		dst = append(dst, ',')
	}
	dst = append(dst, `"old_state":`...)
	dst = appendValue(dst, ev.OldState)
	return append(dst, '}')
}

// appendRunner appends the keys of an automation or script envelope from entity_id to data:
// head opens data, whose HA members are followed by idKey and the configuration id, when known.
func appendRunner(dst []byte, ev *hass.Event, head, idKey string) []byte {
	dst = appendOptional(dst, `,"entity_id":`, ev.EntityID)
	dst = append(dst, head...)
	dst, more := appendMembers(dst, ev.Data, false)
	if ev.ConfigID != "" {
		if more {
			dst = append(dst, ',')
		}
		dst = append(dst, idKey...)
		dst = appendString(dst, ev.ConfigID)
	}
	return append(dst, '}')
}

// isNull reports whether the JSON value raw is null or missing.
func isNull(raw []byte) bool {
	raw = trimSpace(raw)
	return len(raw) == 0 || string(raw) == "null"
}

// appendOptional appends key (with its leading comma and trailing colon) and value as a JSON
// string, unless value is empty.
func appendOptional(dst []byte, key, value string) []byte {
	if value == "" {
		return dst
	}
	dst = append(dst, key...)
	return appendString(dst, value)
}
