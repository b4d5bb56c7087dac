package main

import (
	"math"
	"testing"
)

func TestRateSearch(t *testing.T) {
	for _, tc := range []struct {
		name            string
		start, capacity float64 // runs pass up to capacity
		limit           float64
		wantPassed      float64 // exact when the search can reach it; else checked by bracket
	}{
		{name: "capacity between doublings", start: 100, capacity: 870, limit: 1e6},
		{name: "capacity on a doubling", start: 100, capacity: 800, limit: 1e6, wantPassed: 800},
		{name: "start already fails", start: 100, capacity: 37, limit: 1e6},
		{name: "nothing passes", start: 100, capacity: 0, limit: 1e6, wantPassed: 0},
		{name: "limit reached while passing", start: 100, capacity: 1e9, limit: 1000, wantPassed: 800},
	} {
		s := newRateSearch(0.1, tc.limit)
		var tried []float64
		rate, more := tc.start, true
		for more {
			if len(tried) > 100 {
				t.Fatalf("%s: no end after %v", tc.name, tried)
			}
			tried = append(tried, rate)
			rate, more = s.next(rate, rate <= tc.capacity)
		}
		for _, r := range tried {
			if r > tc.limit {
				t.Errorf("%s: tried %v above the limit %v", tc.name, r, tc.limit)
			}
		}
		switch {
		case tc.wantPassed != 0 || tc.capacity == 0 || tc.capacity > tc.limit:
			if s.passed != tc.wantPassed {
				t.Errorf("%s: passed %v after %v, want %v", tc.name, s.passed, tried, tc.wantPassed)
			}
		case s.passed > tc.capacity || s.failed <= tc.capacity || s.failed-s.passed > 0.1*math.Max(s.passed, 1):
			t.Errorf("%s: bracket [%v, %v) after %v does not hold capacity %v within 10 %%", tc.name, s.passed, s.failed, tried, tc.capacity)
		}
	}
}
