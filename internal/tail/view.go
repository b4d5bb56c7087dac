package tail

import (
	"bytes"
	"cmp"
	"encoding/json"
	"strings"
	"time"
)

// view is what a line shows of one message of either wire format (SPEC.md §4.3, §4.4).
type view struct {
	kind    string    // the canonical kind: an HA event type, or connection, ping, error, gap, disconnect, state, snapshot_complete
	label   string    // the type as the stream named it (service_called in the envelope format)
	time    time.Time // when it happened; zero when the message does not say
	entity  string    // the entity, the entities of a service call, or the domain
	old     *string   // state_changed: the old state; nil when the entity is new
	new     *string   // state_changed and state: the new state; nil when the entity was removed
	unit    string    // the new state's unit_of_measurement
	resync  bool      // made by the gateway's resync after an outage
	detail  string    // anything else worth a glance, one line
	code    string    // error: its code; gap and disconnect: the reason
	since   string    // gap: the last event id before it
	resumed bool      // connection: the resume succeeded
	client  string    // connection: the client id
	ignored []string  // connection: parameters the gateway ignored
	message string    // error: its message
	count   int       // snapshot_complete
}

// controlKinds are the kinds that are not events of the home: they do not count for Count.
var controlKinds = map[string]bool{
	"connection": true, "ping": true, "error": true, "gap": true, "disconnect": true, "snapshot_complete": true,
}

// aliases maps the envelope format's names (and named's "connected") to the canonical kinds.
var aliases = map[string]string{
	"service_called": "call_service", "script_executed": "script_started", "connected": "connection",
}

// stateObject is the part of an HA state object a line shows. In the envelope format a
// state_changed's data is the new state with "old_state" added.
type stateObject struct {
	EntityID   string       `json:"entity_id"`
	State      *string      `json:"state"`
	OldState   *stateObject `json:"old_state"`
	Attributes struct {
		Unit string `json:"unit_of_measurement"`
	} `json:"attributes"`
}

// wire holds the members of either format's JSON that a line shows. Envelope messages name
// their type in "type" and nest HA's event data in "data"; named messages carry the type as
// the SSE event name and HA's event data at the top level.
type wire struct {
	Type      string          `json:"type"`
	EventType string          `json:"event_type"`
	EntityID  string          `json:"entity_id"`
	Domain    string          `json:"domain"`
	State     json.RawMessage `json:"state"`
	Data      json.RawMessage `json:"data"`
	Timestamp string          `json:"timestamp"`
	TimeFired string          `json:"time_fired"`
	Origin    string          `json:"origin"`
	OldState  *stateObject    `json:"old_state"`
	NewState  *stateObject    `json:"new_state"`

	// call_service, automation_triggered, script_started
	Service     string          `json:"service"`
	ServiceData json.RawMessage `json:"service_data"`
	Name        string          `json:"name"`
	Source      string          `json:"source"`

	// control events
	ID            string   `json:"id"`
	ClientID      string   `json:"client_id"`
	Resumed       bool     `json:"resumed"`
	IgnoredParams []string `json:"ignored_params"`
	Error         string   `json:"error"`
	Message       string   `json:"message"`
	Reason        string   `json:"reason"`
	Since         string   `json:"since"`
	Count         int      `json:"count"`
}

// decode reads a message of either format into a view whose texts are safe to print on a
// terminal ([printable]). Data that is not a JSON object gives a view that shows the data
// itself. Members of another type than expected (an integration's event may have a numeric "id")
// are left out.
func decode(m Message) view {
	v := decodeRaw(m)
	v.makePrintable()
	return v
}

// decodeRaw is decode without making the texts printable.
func decodeRaw(m Message) view {
	var w wire
	if !strings.HasPrefix(strings.TrimSpace(m.Data), "{") || !json.Valid([]byte(m.Data)) {
		return view{kind: "message", label: cmp.Or(m.Event, "message"), detail: oneLine(m.Data)}
	}
	_ = json.Unmarshal([]byte(m.Data), &w) // a type mismatch skips only that member
	label := cmp.Or(m.Event, w.Type, w.EventType, "message")
	v := view{label: label, kind: label, entity: w.EntityID, resync: w.Origin == "resync"}
	if k, ok := aliases[label]; ok {
		v.kind = k
	}
	v.time = parseTime(cmp.Or(w.Timestamp, w.TimeFired))
	named := m.Event != ""
	inner := w // HA's event data: nested in the envelope format
	if !named && len(w.Data) > 0 && w.Data[0] == '{' {
		inner = wire{}
		_ = json.Unmarshal(w.Data, &inner)
	}
	switch v.kind {
	case "connection":
		v.client, v.resumed, v.ignored = cmp.Or(w.ClientID, w.ID), w.Resumed, w.IgnoredParams
	case "error":
		v.code, v.message = w.Error, w.Message
	case "gap":
		v.code, v.since = w.Reason, w.Since
	case "disconnect":
		v.code = w.Reason
	case "snapshot_complete":
		v.count = w.Count
	case "state":
		v.new = jsonString(w.State)
		object := w.Data // the envelope's; a named state event is the state object itself
		if named {
			object = json.RawMessage(m.Data)
		}
		var st stateObject
		_ = json.Unmarshal(object, &st)
		v.unit = st.Attributes.Unit
	case "state_changed":
		oldState, newState := w.OldState, w.NewState
		if !named {
			var data stateObject
			_ = json.Unmarshal(w.Data, &data)
			oldState, newState = data.OldState, &data
			if jsonString(w.State) == nil {
				newState = nil
			}
		}
		if oldState != nil {
			v.old = oldState.State
		}
		if newState != nil {
			v.new, v.unit = newState.State, newState.Attributes.Unit
		}
	case "call_service":
		v.entity = serviceEntities(inner.ServiceData, w.EntityID)
		v.detail = strings.TrimSpace(cmp.Or(inner.Domain, w.Domain) + "." + inner.Service + " " + oneLine(string(withoutTargets(inner.ServiceData))))
	case "automation_triggered", "script_started":
		v.detail = quote(inner.Name)
		if inner.Source != "" {
			v.detail += " (" + inner.Source + ")"
		}
	default:
		if v.entity == "" {
			v.entity = w.Domain
		}
		if named {
			v.detail = oneLine(string(withoutKeys([]byte(m.Data), "event_type", "time_fired", "origin", "context")))
		} else {
			v.detail = oneLine(string(w.Data))
		}
	}
	return v
}

// serviceEntities lists the entities a service call names (service_data.entity_id and
// service_data.target.entity_id, a string or a list), or the envelope's entity_id.
func serviceEntities(serviceData json.RawMessage, entityID string) string {
	var sd struct {
		EntityID any `json:"entity_id"`
		Target   struct {
			EntityID any `json:"entity_id"`
		} `json:"target"`
	}
	_ = json.Unmarshal(serviceData, &sd)
	var ids []string
	for _, e := range []any{sd.EntityID, sd.Target.EntityID} {
		switch e := e.(type) {
		case string:
			ids = append(ids, e)
		case []any:
			for _, id := range e {
				if s, ok := id.(string); ok {
					ids = append(ids, s)
				}
			}
		}
	}
	if len(ids) == 0 {
		return entityID
	}
	return strings.Join(ids, ",")
}

// withoutTargets is service data without the entity ids the line shows already; nothing when
// that leaves it empty.
func withoutTargets(serviceData json.RawMessage) []byte {
	b := withoutKeys(serviceData, "entity_id", "target")
	if string(b) == "{}" {
		return nil
	}
	return b
}

// withoutKeys is the JSON object b without the given keys (its own bytes when it is not an
// object).
func withoutKeys(b []byte, keys ...string) []byte {
	var obj map[string]json.RawMessage
	if json.Unmarshal(b, &obj) != nil {
		return b
	}
	for _, k := range keys {
		delete(obj, k)
	}
	out, err := json.Marshal(obj)
	if err != nil {
		return b
	}
	return out
}

// detailWidth is the most of a detail a line shows, in runes.
const detailWidth = 120

// oneLine is s compacted onto one line (JSON is compacted), cut to detailWidth runes.
func oneLine(s string) string {
	var buf bytes.Buffer
	if json.Compact(&buf, []byte(s)) == nil {
		s = buf.String()
	}
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > detailWidth {
		s = string(r[:detailWidth-1]) + "…"
	}
	return s
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}
	}
	return t
}

// jsonString is the JSON string raw, or nil when raw is null, absent or not a string.
func jsonString(raw json.RawMessage) *string {
	var s *string
	if json.Unmarshal(raw, &s) != nil {
		return nil
	}
	return s
}

func quote(s string) string {
	if s == "" {
		return ""
	}
	return "“" + s + "”"
}
