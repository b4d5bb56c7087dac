package filter

import "unicode/utf8"

// partWords is how many 64-bit words of state a scan keeps on the stack: one bit for each byte of
// the longest part Parse lets through ([MaxItemBytes]). Longer parts (never from Parse) take
// their state from the heap.
const partWords = (MaxItemBytes + 63) / 64

// shiftAnd finds a star-free part holding '?' in a text, reading each character of the text once
// (the shift-and, or bitap, algorithm). Every byte of the part stands for exactly one character of
// the text ('?' for any, an ASCII byte for itself), so all its matches are equally long in
// characters and the first to end is also the leftmost to start.
type shiftAnd struct {
	words int                  // words of state: the part's length in bits, rounded up
	last  uint64               // the bit of the part's last byte, in word words-1
	any   []uint64             // positions of '?', which every character fits; words long
	index [utf8.RuneSelf]uint8 // for an ASCII byte of the part, 1 + its index in lits; else 0
	lits  []uint64             // positions of each literal byte of the part, words for each
}

// newShiftAnd prepares the scan for part p: ASCII, no '*', not empty.
func newShiftAnd(p string) *shiftAnd {
	n := (len(p) + 63) / 64
	f := &shiftAnd{words: n, last: 1 << ((len(p) - 1) % 64), any: make([]uint64, n)}
	for j := 0; j < len(p); j++ {
		w, bit := j/64, uint64(1)<<(j%64)
		c := p[j]
		if c == '?' {
			f.any[w] |= bit
			continue
		}
		if f.index[c] == 0 {
			f.lits = append(f.lits, make([]uint64, n)...)
			f.index[c] = uint8(len(f.lits) / n)
		}
		f.lits[(int(f.index[c])-1)*n+w] |= bit
	}
	return f
}

// find returns where the leftmost match of the part in s at or after byte offset i ends. State bit
// j is set after a character when the part's first j+1 bytes match the characters ending there.
func (f *shiftAnd) find(s string, i int) (end int, ok bool) {
	n := f.words
	if n == 1 {
		return f.find1(s, i)
	}
	var stateBuf, maskBuf [partWords]uint64
	state, mask := stateBuf[:], maskBuf[:]
	if n > partWords {
		state, mask = make([]uint64, n), make([]uint64, n)
	}
	for i < len(s) {
		c, size := s[i], 1
		fits := f.any
		if c >= utf8.RuneSelf {
			_, size = utf8.DecodeRuneInString(s[i:]) // a character beyond ASCII fits only '?'
		} else if k := int(f.index[c]); k != 0 {
			lit := f.lits[(k-1)*n : k*n]
			for w := range n {
				mask[w] = fits[w] | lit[w]
			}
			fits = mask
		}
		carry := uint64(1) // a match may begin at every character
		for w := range n {
			next := state[w] >> 63
			state[w] = (state[w]<<1 | carry) & fits[w]
			carry = next
		}
		i += size
		if state[n-1]&f.last != 0 {
			return i, true
		}
	}
	return 0, false
}

// find1 is find for a part of at most 64 bytes, the usual case: one word of state.
func (f *shiftAnd) find1(s string, i int) (end int, ok bool) {
	var state uint64
	for i < len(s) {
		c, size := s[i], 1
		fits := f.any[0]
		if c >= utf8.RuneSelf {
			_, size = utf8.DecodeRuneInString(s[i:])
		} else if k := int(f.index[c]); k != 0 {
			fits |= f.lits[k-1]
		}
		state = (state<<1 | 1) & fits
		i += size
		if state&f.last != 0 {
			return i, true
		}
	}
	return 0, false
}
