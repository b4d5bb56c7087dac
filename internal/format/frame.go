package format

import (
	"bytes"
	"sync"
	"sync/atomic"
	"unsafe"

	"hasse/internal/hass"
)

// Frame is one event and its SSE message in each wire format ("id: …\ndata: …\n\n", plus
// "event: …" after the id in Named). A Frame is read-only once made: every subscriber and the
// replay ring share it, from any goroutine.
//
// A format's message is encoded the first time it is asked for, then kept and shared: the hub
// asks as it queues the event for a client of that format, so an event no client takes is never
// encoded, and one that only envelope clients take holds no named message. The event's data is
// held once, in Event; the messages are the only copies.
type Frame struct {
	// Event is the event the Frame encodes; like the Frame, it must not be modified.
	Event *hass.Event

	mu   sync.Mutex  // held while a message is made
	msgs [2]encoding // the Envelope message, then the Named one
	size int         // what Size reports; 0 for a Frame not made by NewFrame
}

// encoding is one format's message of a Frame, made once: b is written before made is set,
// and read only after made is seen set, or under Frame.mu.
type encoding struct {
	b    []byte
	made atomic.Uint32 // 1 once b is made
}

// NewFrame returns the Frame of ev, whose messages are encoded when first asked for. ev.ID
// becomes the SSE id: line and the envelope's "id", so the hub sets it first. NewFrame makes one
// allocation, the Frame; each format's message is one more, made by the first Bytes of it.
func NewFrame(ev *hass.Event) *Frame {
	return &Frame{Event: ev, size: frameBytes(ev)}
}

// Size is about how many bytes of memory the Frame may keep alive: itself, its event (the Event,
// its data and the strings it owns; the entity states share the data) and a message in each
// format, counted whether or not it has been made yet, so that the figure never changes. A
// replay ring bounded by the sum of its frames' Sizes holds at most that much. For a Frame not
// made by NewFrame it is the bytes of its messages and its event's data.
func (f *Frame) Size() int {
	if f.size > 0 {
		return f.size
	}
	n := len(f.msgs[0].b) + len(f.msgs[1].b)
	if ev := f.Event; ev != nil {
		n += len(ev.Data) + len(ev.Context)
	}
	return n
}

// Bytes returns the Frame's message in format k (Envelope for an unknown k), encoding it on the
// first call for k. The bytes are shared: they must not be modified.
func (f *Frame) Bytes(k Kind) []byte {
	m := &f.msgs[k&1]
	if m.made.Load() == 0 {
		f.make(m)
	}
	return m.b
}

// make encodes the Frame's message m (one of f.msgs), unless another caller has just done so.
func (f *Frame) make(m *encoding) {
	f.mu.Lock()
	defer f.mu.Unlock()
	if m.made.Load() != 0 || f.Event == nil {
		return
	}
	k := Envelope
	if m == &f.msgs[Named] {
		k = Named
	}
	m.b = encode(f.Event, k)
	m.made.Store(1)
}

// encode returns ev's message in format k in a buffer of its own, capped (an append by a
// careless reader copies) and, but for big events, no larger than the allocator makes it: the
// message may stay in the replay ring. A message that fits is written on the stack first, then
// copied out.
func encode(ev *hass.Event, k Kind) []byte {
	const onStack = 2048
	if n := messageSize(ev, k); n > onStack {
		b := appendEventMessage(make([]byte, 0, n), ev, k)
		return b[:len(b):len(b)]
	}
	var stack [onStack]byte
	b := appendEventMessage(stack[:0], ev, k)
	return append(make([]byte, 0, len(b)), b...)[:len(b):len(b)]
}

// appendEventMessage appends ev's message in format k.
func appendEventMessage(dst []byte, ev *hass.Event, k Kind) []byte {
	if k == Named {
		return appendNamedMessage(dst, ev)
	}
	return appendEnvelopeMessage(dst, ev)
}

// NewControl makes a Frame of a control event (SPEC.md §4.4) already encoded in each format, for
// a hub that sends one to many clients; its Event is nil.
func NewControl(envelope, named []byte) *Frame {
	f := &Frame{msgs: [2]encoding{{b: envelope}, {b: named}}}
	f.msgs[0].made.Store(1)
	f.msgs[1].made.Store(1)
	return f
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

// frameBytes is the Size of the Frame of ev: the Frame, the Event, the strings and data the
// Event owns, and both messages.
func frameBytes(ev *hass.Event) int {
	n := int(unsafe.Sizeof(Frame{})+unsafe.Sizeof(hass.Event{})) + len(ev.Data) + len(ev.Context) +
		len(ev.ID) + len(ev.TimeFired) + len(ev.EntityID) + len(ev.ConfigID) +
		len(ev.Entities)*int(unsafe.Sizeof("")) + len(ev.Areas)*int(unsafe.Sizeof(hass.AreaRef{}))
	return n + messageSize(ev, Envelope) + messageSize(ev, Named)
}

// messageSize is a little more than the bytes of ev's message in format k, so that encoding it
// takes one allocation with little to spare (the message may stay in the replay ring). Strings
// that need escaping, or data with line breaks, may take more; append then grows the buffer.
func messageSize(ev *hass.Event, k Kind) int {
	// The framing and the keys take under 100 bytes in Named, under 200 in Envelope (a removal
	// writes its entity id twice); a type's alias is at most 2 bytes longer than the type.
	if k == Named {
		return 100 + len(ev.ID) + 2*len(ev.Type) + len(ev.Data) + len(ev.TimeFired) + len(ev.Origin) + len(ev.Context)
	}
	n := 200 + 2*len(ev.ID) + len(ev.Type) + 2*len(ev.EntityID) + len(ev.Domain) + len(ev.State) +
		len(ev.TimeFired) + len(ev.ConfigID)
	if ev.Type == hass.TypeStateChanged {
		return n + len(ev.NewState) + len(ev.OldState)
	}
	return n + len(ev.Data)
}
