package main

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"slices"
	"testing"
)

func TestHistogramBuckets(t *testing.T) {
	// Every bucket starts where the one before ends, and each value lands in the bucket that
	// holds it.
	next := int64(0)
	for i := range histBuckets {
		low, width := histBucket(i)
		if low != next {
			t.Fatalf("bucket %d starts at %d, want %d (where bucket %d ends)", i, low, next, i-1)
		}
		for _, v := range []int64{low, low + width - 1} {
			if got := histIndex(v); got != i {
				t.Fatalf("histIndex(%d) = %d, want %d", v, got, i)
			}
		}
		if width > 1 && float64(width)/float64(low) > 1.0/(1<<histSubBits) {
			t.Fatalf("bucket %d: width %d at %d is more than 1/%d of its values", i, width, low, 1<<histSubBits)
		}
		next = low + width
	}
	if got := histIndex(math.MaxInt64); got != histBuckets-1 {
		t.Errorf("histIndex(MaxInt64) = %d, want the last bucket %d", got, histBuckets-1)
	}
}

func TestHistogramQuantiles(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	var h histogram
	var values []int64
	for range 100_000 {
		v := int64(rng.ExpFloat64() * 20e6) // latencies around 20 ms with a long tail
		h.record(v)
		values = append(values, v)
	}
	slices.Sort(values)
	for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 0.999, 1} {
		exact := values[int(math.Ceil(q*float64(len(values))))-1]
		got := h.quantile(q)
		if math.Abs(float64(got-exact)) > 0.008*float64(exact) {
			t.Errorf("quantile(%v) = %d, want %d within 0.8 %%", q, got, exact)
		}
	}
	if got, want := h.maximum(), values[len(values)-1]; got != want {
		t.Errorf("maximum() = %d, want %d exactly", got, want)
	}
	if got := h.count(); got != uint64(len(values)) {
		t.Errorf("count() = %d, want %d", got, len(values))
	}
}

func TestHistogramEdges(t *testing.T) {
	var h histogram
	if got := h.quantile(0.99); got != 0 {
		t.Errorf("empty histogram: quantile(0.99) = %d, want 0", got)
	}
	h.record(-5)
	if got := h.quantile(0.5); got != 0 {
		t.Errorf("after record(-5): quantile(0.5) = %d, want 0", got)
	}
	h.record(3)
	h.record(1 << 50) // longer than the buckets reach: counted, and still the exact maximum
	if got := h.quantile(1); got != 1<<50 {
		t.Errorf("quantile(1) = %d, want the maximum %d", got, int64(1)<<50)
	}
	if got := h.quantile(0.33); got != 0 {
		t.Errorf("quantile(0.33) of {0, 3, 2^50} = %d, want 0", got)
	}
	if got := h.quantile(0.5); got != 3 {
		t.Errorf("quantile(0.5) of {0, 3, 2^50} = %d, want 3", got)
	}
}

// A histogram dumped by each process and added up in one answers for all values together.
func TestHistogramDumpAdd(t *testing.T) {
	for _, tc := range []struct {
		name  string
		parts [][]int64
	}{
		{"nothing", nil},
		{"one empty part", [][]int64{{}}},
		{"one part", [][]int64{{5, 300, 20e6, 20e6, 1.5e9}}},
		{"two parts, the maximum in the second", [][]int64{{1e6, 2e6, 3e6}, {4e6, 2e9}}},
		{"three parts, overlapping", [][]int64{{7, 7, 7}, {7, 1 << 50}, {0, 900e6}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var all, merged histogram
			for _, part := range tc.parts {
				var h histogram
				for _, v := range part {
					h.record(v)
					all.record(v)
				}
				b, err := json.Marshal(h.dump())
				if err != nil {
					t.Fatal(err)
				}
				var d histDump
				if err := json.Unmarshal(b, &d); err != nil {
					t.Fatal(err)
				}
				if err := merged.add(d); err != nil {
					t.Fatal(err)
				}
			}
			if merged.count() != all.count() || merged.maximum() != all.maximum() {
				t.Errorf("merged: %d values, maximum %d; want %d, %d", merged.count(), merged.maximum(), all.count(), all.maximum())
			}
			for _, q := range []float64{0.01, 0.5, 0.9, 0.99, 1} {
				if got, want := merged.quantile(q), all.quantile(q); got != want {
					t.Errorf("quantile(%v) = %d merged, %d recorded in one", q, got, want)
				}
			}
		})
	}
}

func TestHistogramAddRefusesUnknownBuckets(t *testing.T) {
	var h histogram
	err := h.add(histDump{Buckets: [][2]uint64{{3, 1}, {histBuckets, 1}}, MaxNs: 9})
	if err == nil {
		t.Fatal("add accepted a bucket past the last")
	}
	if h.count() != 0 || h.maximum() != 0 {
		t.Errorf("a refused dump left %d values, maximum %d; want nothing counted", h.count(), h.maximum())
	}
}
