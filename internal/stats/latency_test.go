package stats

import (
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestBucketOf(t *testing.T) {
	for _, tc := range []struct {
		us   int64
		want int
	}{
		{-5, 0}, {0, 0}, {1, 1}, {3, 3},
		{4, 4}, {5, 5}, {7, 7}, // octave [4,8): one µs per bin
		{8, 8}, {9, 8}, {10, 9}, {15, 11}, // [8,16): two µs per bin
		{16, 12}, {1000, 4 + (10-3)*4 + 3}, // 1000 = 0b1111101000: 10 bits, next two bits 11
		{1 << 40, numBuckets - 1},
	} {
		if got := bucketOf(tc.us); got != tc.want {
			t.Errorf("bucketOf(%d) = %d, want %d", tc.us, got, tc.want)
		}
	}
	// Every value lies within the bounds of its bin, and bins are contiguous.
	for us := int64(0); us < 1<<16; us++ {
		lo, hi := bucketBounds(bucketOf(us))
		if float64(us) < lo || float64(us) >= hi {
			t.Fatalf("bucketOf(%d) = bin [%v, %v)", us, lo, hi)
		}
	}
	for i := 1; i < numBuckets; i++ {
		_, prevHi := bucketBounds(i - 1)
		if lo, _ := bucketBounds(i); lo != prevHi {
			t.Fatalf("bin %d starts at %v, bin %d ends at %v", i, lo, i-1, prevHi)
		}
	}
}

func TestQuantile(t *testing.T) {
	var h Histogram
	// 90 deliveries at 1 ms, 9 at 40 ms, 1 at 900 ms.
	h.observe(time.Millisecond, 90)
	h.observe(40*time.Millisecond, 9)
	h.observe(900*time.Millisecond, 1)
	d := h.snapshot()
	for _, tc := range []struct {
		q        float64
		lo, high float64 // ms; a quarter-octave bin is at most 25 % wide
	}{
		{0.5, 0.9, 1.1},
		{0.9, 0.9, 1.1},
		{0.95, 36, 44},
		{0.99, 36, 44},
		{1, 810, 990},
	} {
		if got := d.Quantile(tc.q); got < tc.lo || got > tc.high {
			t.Errorf("Quantile(%v) = %v ms, want within [%v, %v]", tc.q, got, tc.lo, tc.high)
		}
	}
	if got := (&Dist{}).Quantile(0.99); got != 0 {
		t.Errorf("Quantile of nothing = %v, want 0", got)
	}
	if got, want := d.SumUS, uint64(90*1000+9*40000+900000); got != want {
		t.Errorf("SumUS = %d, want %d", got, want)
	}
}

func TestDistBinsRoundTrip(t *testing.T) {
	var h Histogram
	h.observe(3*time.Millisecond, 2)
	h.observe(7*time.Second, 1)
	d := h.snapshot()
	var back Dist
	back.AddBins(d.Bins())
	back.SumUS = d.SumUS
	if diff := cmp.Diff(d, back); diff != "" {
		t.Errorf("AddBins(Bins()) diff (-want +got):\n%s", diff)
	}
	if got := len(d.Bins()); got != 2 {
		t.Errorf("len(Bins()) = %d, want 2", got)
	}
}

func TestCumulative(t *testing.T) {
	var h Histogram
	h.observe(100*time.Microsecond, 1) // ≤ 128 µs
	h.observe(128*time.Microsecond, 1) // exactly a bound: in the bin [128, 160), above 128
	h.observe(200*time.Microsecond, 1)
	h.observe(time.Second, 1)
	d := h.snapshot()
	got := d.cumulative([]int64{128, 256, 1 << 20})
	if want := []uint64{1, 3, 4}; !cmp.Equal(got, want) {
		t.Errorf("cumulative = %v, want %v", got, want)
	}
}

func TestDeliveredConcurrently(t *testing.T) {
	m := new(Meter)
	now := time.Now()
	received := []time.Time{now.Add(-2 * time.Millisecond), now.Add(-2 * time.Millisecond), now.Add(-30 * time.Millisecond)}
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for range 1000 {
				m.Delivered(now, received)
			}
		})
	}
	for range 100 {
		_ = m.snapshot() // readers race with writers; -race must stay quiet
	}
	wg.Wait()
	d := m.snapshot()
	if got, want := d.Total(), uint64(8*1000*3); got != want {
		t.Errorf("observations = %d, want %d", got, want)
	}
	if p50, p99 := d.Quantile(0.5), d.Quantile(0.99); p50 < 1.5 || p50 > 2.5 || p99 < 25 || p99 > 35 {
		t.Errorf("p50, p99 = %v, %v ms; want about 2 and 30", p50, p99)
	}
}

func BenchmarkDelivered(b *testing.B) {
	m := new(Meter)
	now := time.Now()
	for _, n := range []int{1, 16} {
		received := make([]time.Time, n)
		for i := range received {
			received[i] = now.Add(-time.Duration(i+1) * 700 * time.Microsecond)
		}
		b.Run("events="+strconv.Itoa(n), func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				m.Delivered(now, received)
			}
		})
	}
}

// BenchmarkDeliveredParallel is Delivered from every core at once: the cost of sharing counters.
func BenchmarkDeliveredParallel(b *testing.B) {
	m := new(Meter)
	b.ReportAllocs()
	b.RunParallel(func(pb *testing.PB) {
		received := []time.Time{time.Now().Add(-time.Millisecond), time.Now().Add(-2 * time.Millisecond)}
		now := time.Now()
		for pb.Next() {
			m.Delivered(now, received)
		}
	})
}
