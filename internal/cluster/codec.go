package cluster

import (
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"time"

	"hasse/internal/hass"
)

// An entry of the stream has five fields: k, its kind (one of the kind… values below), p, the
// epoch it was written in, o, the leader's session that wrote it, i, the number of the item of
// that session it came of (one of Home Assistant's events, its link going down or up; 0 for
// the session's first mark), and v, an event (encodeEvent; empty for marks). The states hash
// holds each entity's state (encodeState).

const (
	kindEvent    = "e"
	kindLinkDown = "d"
	kindLinkUp   = "u"
	kindFailover = "f"
)

// entry is one entry of the stream: an event, or a mark that is news about the ingest.
type entry struct {
	id     StreamID
	kind   string      // one of the kind… values
	ev     *hass.Event // kindEvent: the event, its ID "<epoch>-<id>" already
	origin string      // the leader's session that wrote it; "" in an entry written before there was one
	item   uint64      // the number of the session's item it came of
}

// Events and states are kept in a compact binary form of their own: one version byte, then
// each field in a fixed order, strings and JSON as a uvarint length and the bytes, lists as a
// uvarint count and their strings. It costs a fraction of JSON's time (the JSON inside is
// copied, never parsed again), and Redis keeps bytes as they are.

const codecVersion = 1

func encodeEvent(ev *hass.Event) []byte {
	var received int64
	if !ev.Received.IsZero() {
		received = ev.Received.UnixNano()
	}
	b := make([]byte, 0, 64+len(ev.Data)+len(ev.Context)+len(ev.OldState)+len(ev.NewState)+len(ev.TimeFired))
	b = append(b, codecVersion)
	for _, f := range [...]string{ev.Type, string(ev.Data), ev.Origin, ev.TimeFired, string(ev.Context), ev.EntityID, ev.Domain} {
		b = appendString(b, f)
	}
	b = appendList(b, ev.Entities)
	b = appendPart(b, ev.OldState, ev.Data)
	b = appendPart(b, ev.NewState, ev.Data)
	b = appendString(b, ev.State)
	b = append(b, boolByte(ev.StateChanged))
	for _, f := range [...]string{ev.DeviceClass, ev.Area, ev.AreaName} {
		b = appendString(b, f)
	}
	b = appendList(b, ev.Labels)
	b = binary.AppendVarint(b, received)
	// Fields added later go last, so that a reader of the version before skips them and a reader
	// of an entry written before reads them as empty.
	b = appendString(b, ev.ConfigID)
	b = binary.AppendUvarint(b, uint64(len(ev.Areas)))
	for _, a := range ev.Areas {
		b = appendString(appendString(b, a.ID), a.Name)
	}
	return b
}

func decodeEvent(s string) (*hass.Event, error) {
	r := reader{s: s}
	if r.byte() != codecVersion {
		return nil, errors.New("unknown encoding")
	}
	ev := &hass.Event{Type: r.string(), Data: r.json(), Origin: r.string(), TimeFired: r.string(), Context: r.json(),
		EntityID: r.string(), Domain: r.string(), Entities: r.list()}
	ev.OldState, ev.NewState = r.part(ev.Data), r.part(ev.Data)
	ev.State, ev.StateChanged = r.string(), r.byte() == 1
	ev.DeviceClass, ev.Area, ev.AreaName, ev.Labels = r.string(), r.string(), r.string(), r.list()
	if received := r.varint(); received != 0 {
		ev.Received = time.Unix(0, received)
	}
	if r.more() { // written by a version with the fields added later
		ev.ConfigID = r.string()
		n := r.uvarint()
		if n > uint64(len(r.s)) { // each area takes two bytes at least
			r.fail()
		}
		for range n {
			ev.Areas = append(ev.Areas, hass.AreaRef{ID: r.string(), Name: r.string()})
		}
	}
	if r.err != nil {
		return nil, r.err
	}
	return ev, nil
}

func encodeState(st hass.State) []byte {
	b := make([]byte, 0, 32+len(st.JSON)+len(st.EntityID))
	b = append(b, codecVersion)
	for _, f := range [...]string{st.EntityID, st.Domain, st.State, st.DeviceClass, st.Area, st.AreaName} {
		b = appendString(b, f)
	}
	b = appendList(b, st.Labels)
	return appendString(b, string(st.JSON))
}

func decodeState(s string) (hass.State, error) {
	r := reader{s: s}
	if r.byte() != codecVersion {
		return hass.State{}, errors.New("unknown encoding")
	}
	st := hass.State{EntityID: r.string(), Domain: r.string(), State: r.string(), DeviceClass: r.string(),
		Area: r.string(), AreaName: r.string(), Labels: r.list(), JSON: r.json()}
	return st, r.err
}

func appendString(b []byte, s string) []byte {
	return append(binary.AppendUvarint(b, uint64(len(s))), s...)
}

// appendPart appends v, a part of whole as a rule (a state_changed's old and new states are
// inside its data), as a reference into whole when it is one: a tag 1, its offset and length;
// otherwise a tag 0 and v itself.
func appendPart(b, v, whole []byte) []byte {
	if i := bytes.Index(whole, v); len(v) > 0 && i >= 0 {
		b = binary.AppendUvarint(append(b, 1), uint64(i))
		return binary.AppendUvarint(b, uint64(len(v)))
	}
	return appendString(append(b, 0), string(v))
}

func appendList(b []byte, list []string) []byte {
	b = binary.AppendUvarint(b, uint64(len(list)))
	for _, s := range list {
		b = appendString(b, s)
	}
	return b
}

func boolByte(v bool) byte {
	if v {
		return 1
	}
	return 0
}

// reader takes the fields of an encoded value in order; the first error sticks, and every later
// field reads as zero.
type reader struct {
	s   string
	err error
}

func (r *reader) fail() {
	if r.err == nil {
		r.err = errors.New("truncated or malformed value")
	}
	r.s = ""
}

// more reports whether anything is left to read.
func (r *reader) more() bool { return r.err == nil && len(r.s) > 0 }

func (r *reader) byte() byte {
	if len(r.s) == 0 {
		r.fail()
		return 0
	}
	c := r.s[0]
	r.s = r.s[1:]
	return c
}

func (r *reader) uvarint() uint64 {
	v, n := binary.Uvarint([]byte(r.s[:min(len(r.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		r.fail()
		return 0
	}
	r.s = r.s[n:]
	return v
}

func (r *reader) varint() int64 {
	v, n := binary.Varint([]byte(r.s[:min(len(r.s), binary.MaxVarintLen64)]))
	if n <= 0 {
		r.fail()
		return 0
	}
	r.s = r.s[n:]
	return v
}

// string returns the next string, sharing the value's memory.
func (r *reader) string() string {
	n := r.uvarint()
	if n > uint64(len(r.s)) {
		r.fail()
		return ""
	}
	s := r.s[:n]
	r.s = r.s[n:]
	return s
}

// json returns the next JSON value; nil when empty.
func (r *reader) json() json.RawMessage {
	if s := r.string(); s != "" {
		return json.RawMessage(s)
	}
	return nil
}

// part reads what appendPart wrote; whole is the value it referred to.
func (r *reader) part(whole json.RawMessage) json.RawMessage {
	if r.byte() == 0 {
		return r.json()
	}
	off, n := r.uvarint(), r.uvarint()
	if off > uint64(len(whole)) || n > uint64(len(whole))-off {
		r.fail()
		return nil
	}
	return whole[off : off+n : off+n]
}

func (r *reader) list() []string {
	n := r.uvarint()
	if n > uint64(len(r.s)) { // each item takes a byte at least
		r.fail()
		return nil
	}
	var out []string
	for range n {
		out = append(out, r.string())
	}
	return out
}

// decodeEntry reads an entry of the stream (its event's id set) and the epoch it was written in.
func decodeEntry(m entryFields) (entry, string, error) {
	id, ok := ParseStreamID(m.id)
	if !ok {
		return entry{}, "", fmt.Errorf("stream entry %q: not a stream id", m.id)
	}
	item, _ := strconv.ParseUint(m.item, 10, 64)
	e := entry{id: id, kind: m.kind, origin: m.origin, item: item}
	switch m.kind {
	case kindEvent:
		ev, err := decodeEvent(m.value)
		if err != nil {
			return entry{}, "", fmt.Errorf("stream entry %s: %w", m.id, err)
		}
		ev.ID = eventID(m.epoch, id)
		e.ev = ev
	case kindLinkDown, kindLinkUp, kindFailover:
	default:
		return entry{}, "", fmt.Errorf("stream entry %s: unknown kind %q", m.id, m.kind)
	}
	return e, m.epoch, nil
}

// entryFields are the fields of one stream entry as Redis returns them.
type entryFields struct {
	id, kind, epoch, origin, item, value string
}

func fieldsOf(id string, values map[string]any) entryFields {
	s := func(k string) string { v, _ := values[k].(string); return v }
	return entryFields{id: id, kind: s("k"), epoch: s("p"), origin: s("o"), item: s("i"), value: s("v")}
}
