package tail

import (
	"testing"
	"time"
)

func TestRetryWait(t *testing.T) {
	const s = time.Second
	for _, tc := range []struct {
		failures  int
		hint, max time.Duration
		rnd       float64
		want      time.Duration
	}{
		{0, 0, 30 * s, 0, s / 2},                       // no hint: 1s, jittered into its upper half
		{0, 0, 30 * s, 0.5, 750 * time.Millisecond},    //
		{0, 3 * s, 30 * s, 0, 1500 * time.Millisecond}, // the server's hint is the base
		{0, 3 * s, 30 * s, 0.999999, 2999998500 * time.Nanosecond},
		{0, 3 * s, 2 * s, 0, s},       // the hint is capped by max
		{1, 3 * s, 30 * s, 0, 3 * s},  // doubled per failure
		{3, 3 * s, 30 * s, 0, 12 * s}, //
		{4, 3 * s, 30 * s, 0, 15 * s}, // up to max
		{4, 3 * s, 30 * s, 0.5, 22500 * time.Millisecond},
		{1000, 3 * s, 30 * s, 0, 15 * s}, // no overflow
		{1000, 0, 200 * time.Millisecond, 0, 100 * time.Millisecond},
	} {
		if got := retryWait(tc.failures, tc.hint, tc.max, tc.rnd); got != tc.want {
			t.Errorf("retryWait(%d, %v, %v, %v) = %v, want %v", tc.failures, tc.hint, tc.max, tc.rnd, got, tc.want)
		}
	}
}
