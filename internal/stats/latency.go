package stats

import (
	"math/bits"
	"sync/atomic"
	"time"
)

// The latency histogram has 4 bins per power of two of microseconds: bin widths are a quarter of
// an octave (at most 25 % of the value), from 1 µs to about 19 hours.
const (
	subBins    = 4
	maxOctave  = 36 // values at or above 2^36 µs land in the last bin
	numBuckets = subBins + (maxOctave-2)*subBins
)

// bucketOf returns the bin of a latency of us microseconds.
func bucketOf(us int64) int {
	if us < subBins {
		return int(max(us, 0))
	}
	g := bits.Len64(uint64(us)) // us in [2^(g-1), 2^g)
	if g > maxOctave {
		return numBuckets - 1
	}
	sub := int(us>>(g-3)) - subBins // the two bits after the leading one
	return subBins + (g-3)*subBins + sub
}

// bucketBounds returns the lower and upper bound of bin i in microseconds.
func bucketBounds(i int) (lo, hi float64) {
	if i < subBins {
		return float64(i), float64(i + 1)
	}
	g := (i-subBins)/subBins + 3
	sub := (i - subBins) % subBins
	return float64(int64(subBins+sub) << (g - 3)), float64(int64(subBins+sub+1) << (g - 3))
}

// Histogram counts latencies in fixed bins with atomic adds: any number of goroutines may
// observe concurrently while another reads, with no lock and no allocation. Its zero value is
// ready to use.
type Histogram struct {
	counts [numBuckets]atomic.Uint64
	sumUS  atomic.Uint64 // sum of all observations, µs
}

// observe adds n observations of latency d.
func (h *Histogram) observe(d time.Duration, n uint64) {
	us := d.Microseconds()
	h.counts[bucketOf(us)].Add(n)
	if us > 0 {
		h.sumUS.Add(uint64(us) * n)
	}
}

// snapshot copies the counts. Observations that race with it land in this copy or the next.
func (h *Histogram) snapshot() Dist {
	var d Dist
	for i := range h.counts {
		d.Counts[i] = h.counts[i].Load()
	}
	d.SumUS = h.sumUS.Load()
	return d
}

// Dist is a distribution of latencies: counts per bin of the histogram and their sum.
type Dist struct {
	Counts [numBuckets]uint64
	SumUS  uint64
}

// Sub returns the observations of d that are not in older, an earlier snapshot of the same
// histogram.
func (d Dist) Sub(older Dist) Dist {
	for i := range d.Counts {
		d.Counts[i] -= older.Counts[i]
	}
	d.SumUS -= older.SumUS
	return d
}

// Total returns the number of observations.
func (d *Dist) Total() uint64 {
	var n uint64
	for _, c := range d.Counts {
		n += c
	}
	return n
}

// Quantile returns the latency below which a fraction q (0 < q ≤ 1) of the observations lie, in
// milliseconds, read as the middle of the bin that holds it; 0 when there are none.
func (d *Dist) Quantile(q float64) float64 {
	total := d.Total()
	if total == 0 {
		return 0
	}
	rank := uint64(q*float64(total) + 0.5)
	rank = min(max(rank, 1), total)
	var seen uint64
	for i, c := range d.Counts {
		if seen += c; seen >= rank {
			lo, hi := bucketBounds(i)
			if i < subBins {
				return lo / 1000 // exact microseconds
			}
			return (lo + hi) / 2 / 1000
		}
	}
	return 0
}

// Bins returns the non-empty bins as pairs of (bin index, count), the compact form the history
// store keeps.
func (d *Dist) Bins() []Bin {
	var out []Bin
	for i, c := range d.Counts {
		if c > 0 {
			out = append(out, Bin{Index: i, Count: c})
		}
	}
	return out
}

// AddBins adds bins (as [Dist.Bins] returned them) to d; bins out of range are ignored.
func (d *Dist) AddBins(bins []Bin) {
	for _, b := range bins {
		if b.Index >= 0 && b.Index < numBuckets {
			d.Counts[b.Index] += b.Count
		}
	}
}

// Add adds the observations of o to d.
func (d *Dist) Add(o *Dist) {
	for i, c := range o.Counts {
		d.Counts[i] += c
	}
	d.SumUS += o.SumUS
}

// Bin is one non-empty bin of a [Dist].
type Bin struct {
	Index int
	Count uint64
}

// cumulative returns, for each bound in µs (ascending, each a power of two at least 8), how many
// observations are at most that bound: what a Prometheus histogram reports.
func (d *Dist) cumulative(boundsUS []int64) []uint64 {
	out := make([]uint64, len(boundsUS))
	var seen uint64
	b := 0
	for i, c := range d.Counts {
		_, hi := bucketBounds(i)
		for b < len(boundsUS) && float64(boundsUS[b]) < hi {
			out[b] = seen
			b++
		}
		seen += c
	}
	for ; b < len(boundsUS); b++ {
		out[b] = seen
	}
	return out
}
