package hub

import (
	"strings"

	"hasse/internal/format"
)

// ring keeps the most recent entries for Last-Event-ID resume (SPEC.md §4.5): at most size of
// them, and at most maxBytes of their memory ([format.Frame.Size]; the newest entry is kept
// whatever its size). The hub numbers entries consecutively, so the entry of sequence s sits at
// a fixed distance from the oldest. Owned by Hub.Run.
//
// An entry is an event's frame, or a mark: a point of a history where clients may have missed
// events, which a resume across it reports as a gap. A mark takes a frame of its own without an
// event, and its id and gap reason are kept aside (marks are rare), so that an entry stays one
// pointer. Entries the hub was handed with an id of their own (cluster mode) are found by that
// id, exactly, by a scan from the newest: resumes are rare and mostly recent, events are many,
// and an id → sequence map cost every event an insert and a delete (BenchmarkDispatchIDs).
type ring struct {
	frames   []*format.Frame // frames[head:] are held, oldest first
	head     int             // index of the oldest frame held
	first    uint64          // sequence of the oldest frame; 0 while empty
	size     int             // most frames held; 0: none
	maxBytes int             // most bytes held; 0: no bound
	bytes    int             // bytes held

	own       string // "<epoch>-" of the ids the hub gives its own events
	marks     []mark // the marks held, oldest first
	floor     string // the ring holds every entry with an id after the one of this id; "" when none came
	floorSeq  uint64 // the sequence of floor's entry, or of the newest entry before the first with an id
	forgotten uint64 // entries up to this sequence are of a lost history: not found by id
}

// mark is a mark of the ring: its sequence, its id and the gap reason a resume across it gets.
type mark struct {
	seq uint64
	id  string
	gap format.Gap
}

// newRing returns a ring of at most size entries and maxBytes bytes, for a hub whose own event
// ids start with epoch.
func newRing(size, maxBytes int, epoch string) *ring {
	return &ring{size: size, maxBytes: maxBytes, own: epoch + "-"}
}

// held returns the frames held, oldest first (a mark's has no Event); the slice is the ring's own.
func (r *ring) held() []*format.Frame { return r.frames[r.head:] }

// put appends fr, the frame of the event of sequence seq, which must follow the newest by one,
// and lets go of the oldest entries until both bounds hold.
func (r *ring) put(fr *format.Frame, seq uint64) {
	if r.size == 0 {
		return
	}
	if len(r.held()) == 0 {
		r.first = seq
	}
	r.frames = append(r.frames, fr)
	r.bytes += fr.Size()
	for n := len(r.held()); n > r.size || n > 1 && r.maxBytes > 0 && r.bytes > r.maxBytes; n-- {
		r.drop()
	}
	if r.head > len(r.frames)/2 && r.head >= 64 { // move down, so the slice stays in proportion
		n := copy(r.frames, r.frames[r.head:])
		clear(r.frames[n:])
		r.frames, r.head = r.frames[:n], 0
	}
}

// putWithID puts fr, the frame of an event that came with its id (fr.Event.ID).
func (r *ring) putWithID(fr *format.Frame, seq uint64) {
	if r.size == 0 {
		r.floor, r.floorSeq = fr.Event.ID, seq // nothing is held: resumes start after the newest
	}
	r.put(fr, seq)
}

// putMark puts a mark of id with the gap reason gap.
func (r *ring) putMark(id string, gap format.Gap, seq uint64) {
	if r.size == 0 {
		r.floor, r.floorSeq = id, seq
		return
	}
	r.marks = append(r.marks, mark{seq: seq, id: id, gap: gap})
	r.put(format.NewControl(nil, nil), seq)
}

// drop lets go of the oldest entry.
func (r *ring) drop() {
	old := r.frames[r.head]
	r.bytes -= old.Size()
	current := r.first > r.forgotten // an entry of a lost history never becomes the floor again
	switch {
	case old.Event == nil && len(r.marks) > 0 && r.marks[0].seq == r.first:
		if current {
			r.floor, r.floorSeq = r.marks[0].id, r.first
		}
		r.marks = r.marks[1:]
	case current && r.floor != "" && old.Event != nil && !r.isOwn(old.Event.ID): // ids come from a history
		r.floor, r.floorSeq = old.Event.ID, r.first
	}
	r.frames[r.head] = nil
	r.head++
	r.first++
}

// isOwn reports whether id is of the shape the hub gives its own events.
func (r *ring) isOwn(id string) bool {
	rest, ok := strings.CutPrefix(id, r.own)
	if !ok || rest == "" {
		return false
	}
	for i := range len(rest) {
		if rest[i] < '0' || rest[i] > '9' {
			return false
		}
	}
	return true
}

// forget makes the ring find no entry held by id any more: history was lost, and the entries to
// come follow the one of id at, the entry of sequence seq being the newest before them.
func (r *ring) forget(at string, seq uint64) {
	r.floor, r.floorSeq = at, seq
	r.forgotten = seq
}

// lookup returns the sequence of the entry held, since the last forget, whose id is id.
func (r *ring) lookup(id string) (uint64, bool) {
	if id == "" {
		return 0, false
	}
	for i := len(r.marks) - 1; i >= 0 && r.marks[i].seq > r.forgotten; i-- {
		if r.marks[i].id == id {
			return r.marks[i].seq, true
		}
	}
	held := r.held()
	for i := len(held) - 1; i >= 0 && r.first+uint64(i) > r.forgotten; i-- {
		if ev := held[i].Event; ev != nil && ev.ID == id {
			return r.first + uint64(i), true
		}
	}
	return 0, false
}

// at returns the frame of sequence seq, if held.
func (r *ring) at(seq uint64) (*format.Frame, bool) {
	held := r.held()
	if len(held) == 0 || seq < r.first || seq-r.first >= uint64(len(held)) {
		return nil, false
	}
	return held[seq-r.first], true
}

// covers reports whether every frame after sequence seq is still held (seq up to the newest).
func (r *ring) covers(seq, newest uint64) bool {
	if seq == newest {
		return true
	}
	return len(r.held()) > 0 && seq+1 >= r.first && seq < newest
}

// appendAfter appends to dst the events' frames after sequence seq, or after the oldest held
// when seq is older, that keep says to.
func (r *ring) appendAfter(dst []*format.Frame, seq uint64, keep func(*format.Frame) bool) []*format.Frame {
	held := r.held()
	if len(held) == 0 || seq+1 >= r.first+uint64(len(held)) {
		return dst
	}
	for _, fr := range held[max(seq+1, r.first)-r.first:] {
		if fr.Event != nil && keep(fr) {
			dst = append(dst, fr)
		}
	}
	return dst
}

// gapAfter returns the gap reason of the first mark held after sequence seq; "" when none.
func (r *ring) gapAfter(seq uint64) format.Gap {
	for _, m := range r.marks {
		if m.seq > seq {
			return m.gap
		}
	}
	return ""
}
