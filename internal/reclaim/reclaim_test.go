package reclaim

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"slices"
	"testing"
	"testing/synctest"
	"time"
)

const mib = 1 << 20

// looks builds readings one Every apart from {allocated, pile, free} in MiB: pile is the heap
// above the last collection's live bytes.
func looks(vals ...[3]uint64) []Reading {
	var rs []Reading
	for _, v := range vals {
		rs = append(rs, Reading{Allocated: v[0] * mib, Heap: (100 + v[1]) * mib, Live: 100 * mib, Free: v[2] * mib})
	}
	return rs
}

// repeat is n copies of v.
func repeat(n int, v [3]uint64) [][3]uint64 {
	vs := make([][3]uint64, n)
	for i := range vs {
		vs[i] = v
	}
	return vs
}

func TestLookReleasesOncePerQuietBurst(t *testing.T) {
	// A window of 4 looks, and 6 between releases.
	cfg := Config{Every: time.Second, Quiet: 3 * time.Second, Spacing: 6 * time.Second, Garbage: 4 * mib}
	tests := []struct {
		name  string
		looks []Reading
		want  []int // the looks (from 0) that say release
	}{
		{"a burst, then quiet", looks(append([][3]uint64{{100, 10, 0}}, repeat(5, [3]uint64{200, 60, 0})...)...), []int{4}},
		{"free pages count", looks(repeat(4, [3]uint64{0, 0, 10})...), []int{3}},
		{"quiet but too little to give back", looks(repeat(10, [3]uint64{10, 2, 1})...), nil},
		{"steady allocation", looks([3]uint64{0, 0, 0}, [3]uint64{5, 5, 0}, [3]uint64{10, 10, 0}, [3]uint64{15, 15, 0}, [3]uint64{20, 20, 0}, [3]uint64{25, 25, 0}), nil},
		{"a trickle, at most once per spacing", looks(
			[3]uint64{0, 40, 0}, [3]uint64{1, 41, 0}, [3]uint64{2, 42, 0}, [3]uint64{3, 43, 0}, [3]uint64{4, 44, 0},
			[3]uint64{5, 45, 0}, [3]uint64{6, 46, 0}, [3]uint64{7, 47, 0}, [3]uint64{8, 48, 0}, [3]uint64{9, 49, 0}), []int{3, 9}},
		{"too few looks for a whole window", looks(repeat(3, [3]uint64{0, 40, 0})...), nil},
		{"a second burst soon after a release", looks(append(append(repeat(4, [3]uint64{0, 40, 0}), [3]uint64{0, 0, 0}), repeat(5, [3]uint64{50, 50, 0})...)...), []int{3, 9}},
		{"the runtime collected meanwhile", looks([3]uint64{100, 60, 0}, [3]uint64{100, 60, 0}, [3]uint64{100, 1, 0}, [3]uint64{100, 1, 0}, [3]uint64{100, 1, 0}), nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := New(cfg)
			var got []int
			for i, look := range tt.looks {
				if r.Look(look) {
					got = append(got, i)
				}
			}
			if !slices.Equal(got, tt.want) {
				t.Fatalf("released at looks %v, want %v", got, tt.want)
			}
		})
	}
}

func TestWorthIsNeverNegative(t *testing.T) {
	if got := (Reading{Heap: 5, Live: 9, Free: 1}).Worth(); got != 1 {
		t.Fatalf("Worth = %d, want 1 (the free pages) when the heap is below the last live figure", got)
	}
}

// forcedCollections is how many collections something other than the pacer asked for.
func forcedCollections() uint64 {
	s := []metrics.Sample{{Name: "/gc/cycles/forced:gc-cycles"}}
	metrics.Read(s)
	return s[0].Value.Uint64()
}

var sink [][]byte

// TestRunReleasesWhatAQuietBurstLeft runs the real loop on this process's runtime with its
// pacer off, so that only Run can collect: a burst of garbage is collected and released once the
// process is quiet, and a quiet process with no pile is left alone.
func TestRunReleasesWhatAQuietBurstLeft(t *testing.T) {
	debug.FreeOSMemory() // nothing to give back yet
	defer debug.SetGCPercent(debug.SetGCPercent(-1))

	synctest.Test(t, func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan struct{})
		go func() { Run(ctx, Config{}); close(done) }()
		forced := forcedCollections()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := forcedCollections(); got != forced {
			t.Fatalf("%d collections forced with nothing piled up, want none", got-forced)
		}

		for range 32 * 1024 { // 32 MiB of garbage, kept for a moment
			sink = append(sink, make([]byte, 1024))
		}
		sink = nil
		if worth := Read().Worth(); worth < 32*mib {
			t.Fatalf("%d MiB to give back after the burst, want 32 or more", worth/mib)
		}
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if got := forcedCollections() - forced; got != 1 {
			t.Fatalf("%d collections forced after one quiet burst, want 1", got)
		}
		if worth := Read().Worth(); worth >= 4*mib {
			t.Fatalf("%d MiB still to give back after the release, want under 4", worth/mib)
		}
		cancel()
		<-done
	})
}
