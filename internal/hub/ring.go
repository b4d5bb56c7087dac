package hub

import "hasse/internal/format"

// ring keeps the most recent frames for Last-Event-ID resume (SPEC.md §4.5). The hub numbers
// events consecutively, so the frame of sequence s sits at a fixed distance from the oldest.
// Owned by Hub.Run.
type ring struct {
	frames []*format.Frame // a circle of len == capacity once full
	oldest int             // index of the oldest frame
	first  uint64          // sequence of the oldest frame; 0 while empty
	size   int
}

func newRing(size int) *ring { return &ring{size: size} }

// put appends fr, the frame of sequence seq, which must follow the newest by one.
func (r *ring) put(fr *format.Frame, seq uint64) {
	switch {
	case r.size == 0:
		return
	case len(r.frames) < r.size:
		if len(r.frames) == 0 {
			r.first = seq
		}
		r.frames = append(r.frames, fr)
	default:
		r.frames[r.oldest] = fr
		r.oldest = (r.oldest + 1) % r.size
		r.first++
	}
}

// covers reports whether every frame after sequence seq is still held (seq up to the newest).
func (r *ring) covers(seq, newest uint64) bool {
	if seq == newest {
		return true
	}
	return len(r.frames) > 0 && seq+1 >= r.first && seq < newest
}

// appendAfter appends to dst the frames after sequence seq that keep says to; covers(seq) must hold.
func (r *ring) appendAfter(dst []*format.Frame, seq uint64, keep func(*format.Frame) bool) []*format.Frame {
	if len(r.frames) == 0 || seq+1 < r.first {
		return dst
	}
	for i := int(seq + 1 - r.first); i < len(r.frames); i++ {
		if fr := r.frames[(r.oldest+i)%len(r.frames)]; keep(fr) {
			dst = append(dst, fr)
		}
	}
	return dst
}
