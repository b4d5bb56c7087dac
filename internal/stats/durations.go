package stats

import (
	"sync/atomic"
	"time"
)

// durationBounds are the upper bounds of the connection duration buckets but the last, which
// holds everything longer.
var durationBounds = [...]time.Duration{10 * time.Second, time.Minute, 10 * time.Minute, time.Hour, 6 * time.Hour, 24 * time.Hour}

// durationRanges name the buckets, as the API shows them.
var durationRanges = [numDurations]string{"<10s", "10s-1m", "1m-10m", "10m-1h", "1h-6h", "6h-24h", ">=24h"}

const numDurations = len(durationBounds) + 1

// Durations counts connection durations in fixed buckets: under 10 s, 10 s to 1 min, 1 to 10
// min, 10 min to 1 h, 1 to 6 h, 6 to 24 h, and longer.
type Durations [numDurations]int64

// durationBucket returns the bucket of d.
func durationBucket(d time.Duration) int {
	for i, b := range durationBounds {
		if d < b {
			return i
		}
	}
	return numDurations - 1
}

// Add adds o's counts to d.
func (d *Durations) Add(o *Durations) {
	for i, n := range o {
		d[i] += n
	}
}

// Total returns how many durations d counts.
func (d *Durations) Total() int64 {
	var n int64
	for _, c := range d {
		n += c
	}
	return n
}

// Bucket is one bucket of a duration distribution, as the API shows it.
type Bucket struct {
	Range string `json:"range"` // "<10s", "10s-1m", "1m-10m", "10m-1h", "1h-6h", "6h-24h", ">=24h"
	Count int64  `json:"count"`
}

// Buckets returns every bucket, shortest first, empty ones included.
func (d *Durations) Buckets() []Bucket {
	out := make([]Bucket, numDurations)
	for i, n := range d {
		out[i] = Bucket{Range: durationRanges[i], Count: n}
	}
	return out
}

// lifetimes counts the durations of closed connections for /metrics: written by Run, read by
// the exporter, so atomic.
type lifetimes struct {
	counts [numDurations]atomic.Int64
	sumMS  atomic.Int64
}

func (l *lifetimes) record(d time.Duration) {
	l.counts[durationBucket(d)].Add(1)
	l.sumMS.Add(d.Milliseconds())
}

// snapshot returns the counts and their sum in seconds.
func (l *lifetimes) snapshot() (d Durations, seconds float64) {
	for i := range l.counts {
		d[i] = l.counts[i].Load()
	}
	return d, float64(l.sumMS.Load()) / 1000
}
