package main

import "testing"

func TestRatios(t *testing.T) {
	run := func(cpu, p99 float64) result { return result{CPUPerM: cpu, P99: p99} }
	tests := []struct {
		name           string
		hasse, ceiling []result
		want           string
	}{
		{"one pair says nothing", []result{run(7, 10)}, []result{run(7, 10)}, ""},
		{"pairs compared run by run", []result{run(7.7, 12), run(6.6, 9), run(7.2, 30)}, []result{run(7, 10), run(6, 10), run(8, 10)},
			"3 alternating pairs: hasse's CPU per million deliveries 1.03 × the ceiling's on average (0.90–1.10), its p99 1.20 × (median; 0.90–3.00)"},
		{"an even count's median is between the middle two", []result{run(7, 10), run(7, 30)}, []result{run(7, 10), run(7, 10)},
			"2 alternating pairs: hasse's CPU per million deliveries 1.00 × the ceiling's on average (1.00–1.00), its p99 2.00 × (median; 1.00–3.00)"},
		{"a pair without its ceiling is left out", []result{run(7, 10), run(7, 10), run(99, 99)}, []result{run(7, 10), run(7, 10)},
			"2 alternating pairs: hasse's CPU per million deliveries 1.00 × the ceiling's on average (1.00–1.00), its p99 1.00 × (median; 1.00–1.00)"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := ratios(tt.hasse, tt.ceiling); got != tt.want {
				t.Errorf("ratios:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}
