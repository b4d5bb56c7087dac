package main

import "math"

// rateSearch looks for the highest publish rate that passes: it doubles the rate while runs
// pass, then halves the bracket between the highest rate that passed and the lowest that failed
// until the bracket is within precision of the former (or holds no whole rate).
type rateSearch struct {
	passed    float64 // highest rate that passed; 0 before one did
	failed    float64 // lowest rate that failed; +Inf before one did
	precision float64 // stop once failed − passed ≤ precision × passed (a fraction)
	limit     float64 // never try a rate above this
}

func newRateSearch(precision, limit float64) *rateSearch {
	return &rateSearch{failed: math.Inf(1), precision: precision, limit: limit}
}

// next takes the outcome of a run at rate and returns the rate to try next, or false when the
// search is done.
func (s *rateSearch) next(rate float64, pass bool) (float64, bool) {
	if pass {
		s.passed = max(s.passed, rate)
	} else {
		s.failed = min(s.failed, rate)
	}
	if math.IsInf(s.failed, 1) {
		return rate * 2, rate*2 <= s.limit
	}
	mid := math.Round((s.passed + s.failed) / 2)
	if s.failed-s.passed <= s.precision*max(s.passed, 1) || mid <= s.passed || mid >= s.failed {
		return 0, false // close enough, or no whole rate left between them
	}
	return mid, true
}
