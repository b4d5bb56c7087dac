package random

import (
	"testing"
	"time"
)

func TestHex(t *testing.T) {
	for n := range 8 {
		h := Hex(n)
		if len(h) != 2*n {
			t.Errorf("Hex(%d) = %q, want %d hex digits", n, h, 2*n)
		}
		for _, c := range h {
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'f') {
				t.Errorf("Hex(%d) = %q: %q is not a hex digit", n, h, c)
			}
		}
		if n == 7 {
			if h2 := Hex(7); h2 == h {
				t.Errorf("Hex(7) twice gave %q: not random", h)
			}
		}
	}
}

func TestJitterStaysWithinAFifth(t *testing.T) {
	const d = 10 * time.Second
	lo, hi := d, d
	for range 1000 {
		j := Jitter(d)
		if j < d*8/10 || j > d*12/10 {
			t.Fatalf("Jitter(%v) = %v, outside ±20 %%", d, j)
		}
		lo, hi = min(lo, j), max(hi, j)
	}
	if hi-lo < d/10 { // 1000 draws cover well over half of the 4s range
		t.Errorf("Jitter(%v) spread over %v..%v only: not spread", d, lo, hi)
	}
	if got := Jitter(0); got != 0 {
		t.Errorf("Jitter(0) = %v, want 0", got)
	}
}
