package tail

import (
	"cmp"
	"time"
)

// retryWait is how long to wait before the next attempt to connect, after failures attempts
// in a row have failed (0 after a stream that had opened ended). The base is the server's
// retry: hint, or firstWait without one, both capped at maxWait; it doubles with each failure
// up to maxWait. The wait is jittered into the upper half of that (rnd in [0,1)), so that
// clients of one gateway that went away do not all come back at once, yet none hammers it.
func retryWait(failures int, hint, maxWait time.Duration, rnd float64) time.Duration {
	d := min(cmp.Or(hint, firstWait), maxWait)
	for range min(failures, 32) {
		if d >= maxWait/2 {
			d = maxWait
			break
		}
		d *= 2
	}
	return d/2 + time.Duration(rnd*float64(d/2))
}

// firstWait is the base wait when the server gave no retry: hint.
const firstWait = time.Second
