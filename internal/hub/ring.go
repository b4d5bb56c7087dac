package hub

import "hasse/internal/format"

// ring keeps the most recent entries for Last-Event-ID resume (SPEC.md §4.5): at most size of
// them, and at most maxBytes of their memory ([format.Frame.Size]; the newest entry is kept
// whatever its size). The hub numbers entries consecutively, so the entry of sequence s sits at
// a fixed distance from the oldest. Entries the hub was handed with an id of their own (cluster
// mode) are found by that id, exactly: the ring keeps an id → sequence map of the entries it
// holds, pruned with them. Owned by Hub.Run.
type ring struct {
	entries  []entry // entries[head:] are held, oldest first
	head     int     // index of the oldest entry held
	first    uint64  // sequence of the oldest entry; 0 while empty
	size     int     // most entries held; 0: none
	maxBytes int     // most bytes held; 0: no bound
	bytes    int     // bytes held

	ids      map[string]uint64 // the id of every entry held that came with one; nil until one does
	floor    string            // the ring holds every entry with an id after the one of this id; "" when none came
	floorSeq uint64            // the sequence floor's entry had, or that of the newest entry before the first with an id
}

// entry is an event's frame, or a mark: a point of the history where clients may have missed
// events, which a resume across it reports as a gap.
type entry struct {
	fr  *format.Frame // the event; nil for a mark
	id  string        // the id the entry came with; "" for an event the hub numbered itself
	gap string        // a mark's gap reason
}

func newRing(size, maxBytes int) *ring { return &ring{size: size, maxBytes: maxBytes} }

// held returns the entries held, oldest first; the slice is the ring's own.
func (r *ring) held() []entry { return r.entries[r.head:] }

// put appends e, the entry of sequence seq, which must follow the newest by one, and lets go of
// the oldest entries until both bounds hold.
func (r *ring) put(e entry, seq uint64) {
	if r.size == 0 {
		if e.id != "" {
			r.floor, r.floorSeq = e.id, seq // nothing is held: resumes start after the newest
		}
		return
	}
	if len(r.held()) == 0 {
		r.first = seq
	}
	r.entries = append(r.entries, e)
	if e.fr != nil {
		r.bytes += e.fr.Size()
	}
	if e.id != "" {
		if r.ids == nil {
			r.ids = make(map[string]uint64)
		}
		r.ids[e.id] = seq
	}
	for n := len(r.held()); n > r.size || n > 1 && r.maxBytes > 0 && r.bytes > r.maxBytes; n-- {
		r.drop()
	}
	if r.head > len(r.entries)/2 && r.head >= 64 { // move down, so the slice stays in proportion
		n := copy(r.entries, r.entries[r.head:])
		clear(r.entries[n:])
		r.entries, r.head = r.entries[:n], 0
	}
}

// drop lets go of the oldest entry.
func (r *ring) drop() {
	old := r.entries[r.head]
	if old.fr != nil {
		r.bytes -= old.fr.Size()
	}
	if old.id != "" {
		delete(r.ids, old.id)
		r.floor, r.floorSeq = old.id, r.first
	}
	r.entries[r.head] = entry{}
	r.head++
	r.first++
}

// forget makes the ring find no entry by id any more: history was lost, and the entries to come
// follow the one of id at, the entry of sequence seq being the newest before them.
func (r *ring) forget(at string, seq uint64) {
	clear(r.ids)
	r.floor, r.floorSeq = at, seq
}

// lookup returns the sequence of the entry held that came with id.
func (r *ring) lookup(id string) (uint64, bool) {
	seq, ok := r.ids[id]
	return seq, ok
}

// at returns the entry of sequence seq, if held.
func (r *ring) at(seq uint64) (entry, bool) {
	held := r.held()
	if len(held) == 0 || seq < r.first || seq-r.first >= uint64(len(held)) {
		return entry{}, false
	}
	return held[seq-r.first], true
}

// covers reports whether every entry after sequence seq is still held (seq up to the newest).
func (r *ring) covers(seq, newest uint64) bool {
	if seq == newest {
		return true
	}
	return len(r.held()) > 0 && seq+1 >= r.first && seq < newest
}

// appendAfter appends to dst the frames after sequence seq, or after the oldest held when seq is
// older, that keep says to, and returns the gap reason of the first mark among those entries
// ("" when none).
func (r *ring) appendAfter(dst []*format.Frame, seq uint64, keep func(*format.Frame) bool) ([]*format.Frame, string) {
	held := r.held()
	if len(held) == 0 || seq+1 >= r.first+uint64(len(held)) {
		return dst, ""
	}
	gap := ""
	for _, e := range held[max(seq+1, r.first)-r.first:] {
		switch {
		case e.fr == nil:
			if gap == "" {
				gap = e.gap
			}
		case keep(e.fr):
			dst = append(dst, e.fr)
		}
	}
	return dst, gap
}
