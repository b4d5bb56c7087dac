package format

import (
	"bytes"

	"hasse/internal/hass"
)

// Frame is one event encoded in both wire formats, each a complete SSE message
// ("id: …\ndata: …\n\n", plus "event: …" after the id in Named). A Frame is read-only once made: every
// subscriber and the replay ring share it, from any goroutine.
type Frame struct {
	// Event is the event the Frame encodes; like the Frame, it must not be modified.
	Event *hass.Event

	envelope, named []byte
}

// NewFrame encodes ev in both wire formats. ev.ID becomes the SSE id: line and the envelope's
// "id", so the hub sets it first. NewFrame makes two allocations: the Frame and one buffer
// holding both messages.
func NewFrame(ev *hass.Event) *Frame {
	buf := make([]byte, 0, frameSize(ev))
	buf = appendEnvelopeMessage(buf, ev)
	n := len(buf)
	buf = appendNamedMessage(buf, ev)
	return &Frame{
		Event:    ev,
		envelope: buf[:n:n], // capped: an append by a careless reader copies instead of overwriting named
		named:    buf[n:len(buf):len(buf)],
	}
}

// Size is about how many bytes of memory the Frame holds: its two messages and its event's
// data, which the event's states share.
func (f *Frame) Size() int {
	n := len(f.envelope) + len(f.named)
	if ev := f.Event; ev != nil {
		n += len(ev.Data) + len(ev.Context)
	}
	return n
}

// Bytes returns the Frame's message in format k (Envelope for an unknown k). The bytes are
// shared: they must not be modified.
func (f *Frame) Bytes(k Kind) []byte {
	if k == Named {
		return f.named
	}
	return f.envelope
}

// NewControl makes a Frame of a control event (SPEC.md §4.4) already encoded in each format, for
// a hub that sends one to many clients; its Event is nil.
func NewControl(envelope, named []byte) *Frame {
	return &Frame{envelope: envelope, named: named}
}

// BytesWithoutID returns the Frame's message in format k without its id: line, for a delivery
// that must not move the client's Last-Event-ID (a throttled state sent after newer events).
func (f *Frame) BytesWithoutID(k Kind) []byte {
	b := f.Bytes(k)
	if !bytes.HasPrefix(b, []byte("id: ")) {
		return b
	}
	return b[bytes.IndexByte(b, '\n')+1:]
}

// frameSize estimates the bytes NewFrame writes for ev, so that one allocation usually holds
// both messages, with little to spare: frames stay in the replay ring.
func frameSize(ev *hass.Event) int {
	// Field names and punctuation take under 128 bytes per message; the id is written three
	// times, the type three times (an alias is at most 2 bytes longer) and the entity id at
	// most twice, but for its place inside HA's data.
	n := 2*128 + 3*len(ev.ID) + 3*len(ev.Type) + 2*len(ev.TimeFired) + 2*len(ev.EntityID) +
		len(ev.Domain) + len(ev.State) + len(ev.Origin)
	n += len(ev.Data) + len(ev.Context) // named
	if ev.Type == hass.TypeStateChanged {
		n += len(ev.NewState) + len(ev.OldState)
	} else {
		n += len(ev.Data)
	}
	return n
}
