// Package format turns Home Assistant events and the gateway's control events into Server-Sent
// Events bytes, in the two wire formats of SPEC.md §4.3: [Envelope] (seeds 1–3, one unnamed
// message per event) and [Named] (seed 4, the SSE event name is HA's event type).
//
// [NewFrame] wraps one event as it enters the hub; the [Frame] encodes its message in a format
// the first time that format is asked for, and the bytes are then shared read-only by every
// subscriber and by the replay ring. Control events
// (connection, keep-alive, error, gap, disconnect, snapshot) are per client and rare, so their
// Append functions may allocate. [AppendMessage] and [AppendRetry] are the SSE encoder itself.
//
// Everything here but a Frame's once-made messages is a pure function of its arguments: the
// package runs no goroutines and holds no state, and all functions are safe for concurrent use.
//
// The JSON pieces of a [hass.Event] (Data, Context, OldState, NewState) are spliced into the
// output as they are, never decoded: ingest hands them over compact and valid. Strings the
// package writes itself (ids, types, entity ids, timestamps, messages) are JSON-escaped. The
// SSE framing never depends on that trust: should a spliced piece hold a raw line break, the
// data is split into one data: line per line, which clients join with "\n" (JSON whitespace),
// so the stream stays well-formed and the JSON stays valid.
package format
