package main

import (
	"fmt"
	"math"
	"math/bits"
	"sync/atomic"
)

// histogram counts non-negative durations in nanoseconds, log-linearly: below 256 ns each value
// has a bucket of its own; above, every doubling is cut into 128 equal buckets, so a quantile is
// off by less than 0.8 %. Values up to 2^41 ns (36 minutes) are told apart; longer ones count in
// the last bucket. The maximum is kept exactly. Record may be called concurrently.
type histogram struct {
	counts [histBuckets]atomic.Uint64
	n      atomic.Uint64
	max    atomic.Int64
}

const (
	histSubBits = 7 // 128 buckets per doubling
	histMaxBits = 41
	histBuckets = (histMaxBits - histSubBits) << histSubBits
)

// histIndex is the bucket of v ≥ 0: v itself below 2^(histSubBits+1); above, with shift the
// bits dropped to leave histSubBits+1 of them, shift·2^histSubBits + v>>shift.
func histIndex(v int64) int {
	shift := bits.Len64(uint64(v)) - histSubBits - 1
	if shift <= 0 {
		return int(v)
	}
	return min(shift<<histSubBits+int(v>>shift), histBuckets-1)
}

// histBucket is the lowest value of bucket i and the bucket's width.
func histBucket(i int) (low, width int64) {
	shift := max(i>>histSubBits-1, 0)
	return int64(i-shift<<histSubBits) << shift, 1 << shift
}

// record counts v; negative values count as 0.
func (h *histogram) record(v int64) {
	v = max(v, 0)
	h.counts[histIndex(v)].Add(1)
	h.n.Add(1)
	for m := h.max.Load(); v > m && !h.max.CompareAndSwap(m, v); m = h.max.Load() {
	}
}

// count is the number of values recorded.
func (h *histogram) count() uint64 { return h.n.Load() }

// maximum is the largest value recorded, exactly; 0 when none was.
func (h *histogram) maximum() int64 { return h.max.Load() }

// quantile is the q-quantile (0 < q ≤ 1) of the values recorded: the middle of the bucket that
// holds the ⌈q·n⌉-th smallest value, never above the maximum (the maximum itself when that is
// the last bucket); 0 when nothing was recorded.
func (h *histogram) quantile(q float64) int64 {
	n := h.n.Load()
	if n == 0 {
		return 0
	}
	rank := max(uint64(math.Ceil(q*float64(n))), 1)
	var seen uint64
	for i := range h.counts {
		if seen += h.counts[i].Load(); seen >= rank && i < histBuckets-1 {
			low, width := histBucket(i)
			return min(low+width/2, h.max.Load())
		}
	}
	return h.max.Load()
}

// histDump is a histogram in the form it travels between processes as JSON: its non-empty
// buckets as [index, count] pairs in order of index, and its exact maximum. Only a harness of
// the same build reads it back (the bucket layout is this file's).
type histDump struct {
	Buckets [][2]uint64 `json:"buckets"`
	MaxNs   int64       `json:"max_ns"`
}

// dump is the histogram's content as a histDump.
func (h *histogram) dump() histDump {
	d := histDump{Buckets: [][2]uint64{}, MaxNs: h.max.Load()}
	for i := range h.counts {
		if c := h.counts[i].Load(); c > 0 {
			d.Buckets = append(d.Buckets, [2]uint64{uint64(i), c})
		}
	}
	return d
}

// add counts what another histogram dumped as if it had been recorded here; the merged
// quantiles are those of all values together, within the buckets' 0.8 %.
func (h *histogram) add(d histDump) error {
	for _, b := range d.Buckets {
		if b[0] >= histBuckets {
			return fmt.Errorf("histogram bucket %d: there are %d", b[0], histBuckets)
		}
	}
	for _, b := range d.Buckets {
		h.counts[b[0]].Add(b[1])
		h.n.Add(b[1])
	}
	for m := h.max.Load(); d.MaxNs > m && !h.max.CompareAndSwap(m, d.MaxNs); m = h.max.Load() {
	}
	return nil
}
