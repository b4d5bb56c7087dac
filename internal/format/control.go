package format

import (
	"encoding/json"
	"strconv"
	"time"
)

// Control events (SPEC.md §4.4) are made per client and are rare, so they may allocate. None of
// them carries an id: line: the client's Last-Event-ID stays that of the last real event.

// connectedMessage is the message of the Named connected event (seed 4).
const connectedMessage = "Connected to Home Assistant event stream"

// Connection describes a new stream for its connection event.
type Connection struct {
	// ClientID is the client's id: the client_id it asked for, or one the gateway made.
	ClientID string
	// Authenticated reports whether the client presented a valid token (false under auth none).
	Authenticated bool
	// Filters is what the client subscribed to, encoded with encoding/json: a json.RawMessage,
	// a map or a struct. nil, or a value that does not encode, gives {}.
	Filters any
	// Resumed reports that a Last-Event-ID resume succeeded: the replay follows.
	Resumed bool
	// IgnoredParams lists the request's unknown parameter names (SPEC.md §4.1); written only
	// when there are any.
	IgnoredParams []string
}

// AppendConnection appends the event that opens a stream. Envelope:
//
//	{"type":"connection","status":"connected","id","authenticated","filters","resumed",["ignored_params"],"timestamp"}
//
// Named, as event "connected":
//
//	{"client_id","message":"Connected to Home Assistant event stream","filters",["ignored_params"],"timestamp"}
func AppendConnection(dst []byte, k Kind, c Connection, now time.Time) []byte {
	dst, start, data := beginMessage(dst, eventName(k, "connected"), "")
	if k == Named {
		dst = append(dst, `{"client_id":`...)
		dst = appendString(dst, c.ClientID)
		dst = append(dst, `,"message":"`+connectedMessage+`","filters":`...)
		dst = appendFilters(dst, c.Filters)
	} else {
		dst = append(dst, `{"type":"connection","status":"connected","id":`...)
		dst = appendString(dst, c.ClientID)
		dst = append(dst, `,"authenticated":`...)
		dst = appendBool(dst, c.Authenticated)
		dst = append(dst, `,"filters":`...)
		dst = appendFilters(dst, c.Filters)
		dst = append(dst, `,"resumed":`...)
		dst = appendBool(dst, c.Resumed)
	}
	if len(c.IgnoredParams) > 0 {
		dst = append(dst, `,"ignored_params":[`...)
		for i, p := range c.IgnoredParams {
			if i > 0 {
				dst = append(dst, ',')
			}
			dst = appendString(dst, p)
		}
		dst = append(dst, ']')
	}
	dst = appendTimestamp(dst, now)
	return endMessage(dst, eventName(k, "connected"), "", start, data)
}

// AppendKeepAlive appends a keep-alive. Envelope: {"type":"ping","timestamp"}. Named: the
// comment ": keepalive <time>" (seed 4), which no listener sees.
func AppendKeepAlive(dst []byte, k Kind, now time.Time) []byte {
	if k == Named {
		dst = append(dst, ": keepalive "...)
		dst = now.UTC().AppendFormat(dst, timeLayout)
		return append(dst, "\n\n"...)
	}
	dst, start, data := beginMessage(dst, "", "")
	dst = append(dst, `{"type":"ping"`...)
	dst = appendTimestamp(dst, now)
	return endMessage(dst, "", "", start, data)
}

// AppendError appends an error event on an open stream (SPEC.md §4.4). Envelope:
// {"type":"error","error":<code>,"message","timestamp"}. Named, as event "error":
// {"error":<code>,"message","timestamp"}.
func AppendError(dst []byte, k Kind, code ErrorCode, message string, now time.Time) []byte {
	dst, start, data := beginControl(dst, k, "error")
	dst = append(dst, `"error":`...)
	dst = appendString(dst, string(code))
	dst = append(dst, `,"message":`...)
	dst = appendString(dst, message)
	dst = appendTimestamp(dst, now)
	return endMessage(dst, eventName(k, "error"), "", start, data)
}

// AppendGap appends a gap event: events may have been lost after the event with id since (null
// when since is empty: the client had none), for reason. Envelope:
// {"type":"gap","reason","since","timestamp"}. Named, as event "gap": {"reason","since","timestamp"}.
func AppendGap(dst []byte, k Kind, reason Gap, since string, now time.Time) []byte {
	dst, start, data := beginControl(dst, k, "gap")
	dst = append(dst, `"reason":`...)
	dst = appendString(dst, string(reason))
	dst = append(dst, `,"since":`...)
	dst = appendStringOrNull(dst, since)
	dst = appendTimestamp(dst, now)
	return endMessage(dst, eventName(k, "gap"), "", start, data)
}

// AppendDisconnect appends the event that says the server is ending the stream, for reason;
// send [AppendRetry] before it. Envelope:
// {"type":"disconnect","reason","timestamp"}. Named, as event "disconnect": {"reason","timestamp"}.
func AppendDisconnect(dst []byte, k Kind, reason DisconnectReason, now time.Time) []byte {
	dst, start, data := beginControl(dst, k, "disconnect")
	dst = append(dst, `"reason":`...)
	dst = appendString(dst, string(reason))
	dst = appendTimestamp(dst, now)
	return endMessage(dst, eventName(k, "disconnect"), "", start, data)
}

// AppendState appends one snapshot event (SPEC.md §4.6): the current state of an entity, as the
// JSON state object HA gives. Envelope: {"type":"state","entity_id","domain","state","data":<state
// object>}. Named, as event "state": the state object itself ({} when it is not an object).
func AppendState(dst []byte, k Kind, entityID, domain, state string, object json.RawMessage) []byte {
	dst, start, data := beginMessage(dst, eventName(k, "state"), "")
	if k == Named {
		dst = appendObject(dst, object)
	} else {
		dst = append(dst, `{"type":"state","entity_id":`...)
		dst = appendString(dst, entityID)
		dst = append(dst, `,"domain":`...)
		dst = appendString(dst, domain)
		dst = append(dst, `,"state":`...)
		dst = appendString(dst, state)
		dst = append(dst, `,"data":`...)
		dst = appendObject(dst, object)
		dst = append(dst, '}')
	}
	return endMessage(dst, eventName(k, "state"), "", start, data)
}

// AppendSnapshotComplete appends the event that ends a snapshot of count states (SPEC.md §4.6).
// Envelope: {"type":"snapshot_complete","count"}. Named, as event "snapshot_complete": {"count"}.
func AppendSnapshotComplete(dst []byte, k Kind, count int) []byte {
	dst, start, data := beginControl(dst, k, "snapshot_complete")
	dst = append(dst, `"count":`...)
	dst = strconv.AppendInt(dst, int64(count), 10)
	dst = append(dst, '}')
	return endMessage(dst, eventName(k, "snapshot_complete"), "", start, data)
}

// beginControl begins the message of the control event name and opens its JSON object: with
// "type":name and a comma in Envelope, under the event name in Named. The caller writes the
// members that follow.
func beginControl(dst []byte, k Kind, name string) (out []byte, start, data int) {
	dst, start, data = beginMessage(dst, eventName(k, name), "")
	if k == Named {
		return append(dst, '{'), start, data
	}
	dst = append(dst, `{"type":`...)
	dst = appendString(dst, name)
	return append(dst, ','), start, data
}

// eventName returns name as the SSE event name in Named, and none in Envelope.
func eventName(k Kind, name string) string {
	if k == Named {
		return name
	}
	return ""
}

// appendTimestamp appends the member "timestamp" with now, and closes the object.
func appendTimestamp(dst []byte, now time.Time) []byte {
	dst = append(dst, `,"timestamp":`...)
	dst = appendTime(dst, now)
	return append(dst, '}')
}

// appendFilters appends filters encoded with encoding/json, or {} when it is nil, encodes to
// null, or does not encode.
func appendFilters(dst []byte, filters any) []byte {
	if filters == nil {
		return append(dst, "{}"...)
	}
	b, err := json.Marshal(filters)
	if err != nil || string(b) == "null" {
		return append(dst, "{}"...)
	}
	return append(dst, b...)
}
