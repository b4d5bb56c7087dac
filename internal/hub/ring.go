package hub

import "hasse/internal/format"

// ring keeps the most recent frames for Last-Event-ID resume (SPEC.md §4.5): at most size of
// them, and at most maxBytes of their memory ([format.Frame.Size]; the newest frame is kept
// whatever its size). The hub numbers events consecutively, so the frame of sequence s sits at a
// fixed distance from the oldest. Owned by Hub.Run.
type ring struct {
	frames   []*format.Frame // frames[head:] are held, oldest first
	head     int             // index of the oldest frame held
	first    uint64          // sequence of the oldest frame; 0 while empty
	size     int             // most frames held; 0: none
	maxBytes int             // most bytes held; 0: no bound
	bytes    int             // bytes held
}

func newRing(size, maxBytes int) *ring { return &ring{size: size, maxBytes: maxBytes} }

// held returns the frames held, oldest first; the slice is the ring's own.
func (r *ring) held() []*format.Frame { return r.frames[r.head:] }

// put appends fr, the frame of sequence seq, which must follow the newest by one, and lets go of
// the oldest frames until both bounds hold.
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
		r.bytes -= r.frames[r.head].Size()
		r.frames[r.head] = nil
		r.head++
		r.first++
	}
	if r.head > len(r.frames)/2 && r.head >= 64 { // move down, so the slice stays in proportion
		n := copy(r.frames, r.frames[r.head:])
		clear(r.frames[n:])
		r.frames, r.head = r.frames[:n], 0
	}
}

// covers reports whether every frame after sequence seq is still held (seq up to the newest).
func (r *ring) covers(seq, newest uint64) bool {
	if seq == newest {
		return true
	}
	return len(r.held()) > 0 && seq+1 >= r.first && seq < newest
}

// appendAfter appends to dst the frames after sequence seq that keep says to; covers(seq) must hold.
func (r *ring) appendAfter(dst []*format.Frame, seq uint64, keep func(*format.Frame) bool) []*format.Frame {
	held := r.held()
	if len(held) == 0 || seq+1 < r.first {
		return dst
	}
	for _, fr := range held[seq+1-r.first:] {
		if keep(fr) {
			dst = append(dst, fr)
		}
	}
	return dst
}
