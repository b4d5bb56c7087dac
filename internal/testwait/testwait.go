// Package testwait waits in tests for what a real server, process or connection will do: it
// polls a condition until it holds or a limit passes. It is for watching real parts, never for
// asserting how long something takes (that belongs in benchmarks and synctest bubbles).
package testwait

import (
	"testing"
	"time"
)

// For polls cond every 10 ms until it holds, failing the test (naming what) when limit passes
// first.
func For(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	poll(t, limit, what, cond, 10*time.Millisecond, 10*time.Millisecond)
}

// Gently is [For] that polls less and less often, from every 50 ms to once a second, so that a
// long wait on a server with a rate limit (hasse's default is 100 requests a minute) stays
// inside it.
func Gently(t testing.TB, limit time.Duration, what string, cond func() bool) {
	t.Helper()
	poll(t, limit, what, cond, 50*time.Millisecond, time.Second)
}

// poll is For and Gently: pauses from first, doubling up to most.
func poll(t testing.TB, limit time.Duration, what string, cond func() bool, first, most time.Duration) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for pause := first; !cond(); pause = min(2*pause, most) {
		if time.Now().After(deadline) {
			t.Fatalf("%s: not within %v", what, limit)
		}
		time.Sleep(pause) // polling real parts, not a timing assertion
	}
}
