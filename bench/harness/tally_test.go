package main

import (
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// receipt is one call of tally.record.
type receipt struct {
	now, stamp int64
	ok         bool
}

func TestTally(t *testing.T) {
	for _, tc := range []struct {
		name      string
		receipts  []receipt
		want      []eventReceipts
		received  int64
		unstamped int64
		maxNs     int64
	}{
		{name: "nothing", want: []eventReceipts{}},
		{
			name:      "unstamped events count apart",
			receipts:  []receipt{{now: 10}, {now: 11}},
			want:      []eventReceipts{},
			unstamped: 2,
		},
		{
			name:     "one event, three clients, out of order",
			receipts: []receipt{{250, 100, true}, {120, 100, true}, {400, 100, true}},
			want:     []eventReceipts{{Stamp: 100, Clients: 3, FirstNs: 120, LastNs: 400}},
			received: 3, maxNs: 300,
		},
		{
			name: "two events interleaved, listed by stamp",
			receipts: []receipt{
				{2_050, 2_000, true}, {1_010, 1_000, true}, {2_900, 2_000, true}, {0, 0, false}, {1_500, 1_000, true},
			},
			want: []eventReceipts{
				{Stamp: 1_000, Clients: 2, FirstNs: 1_010, LastNs: 1_500},
				{Stamp: 2_000, Clients: 2, FirstNs: 2_050, LastNs: 2_900},
			},
			received: 4, unstamped: 1, maxNs: 900,
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var tl tally
			for _, r := range tc.receipts {
				tl.record(r.now, r.stamp, r.ok)
			}
			if diff := cmp.Diff(tc.want, tl.receipts()); diff != "" {
				t.Errorf("receipts (-want +got):\n%s", diff)
			}
			if tl.received.Load() != tc.received || tl.unstamped.Load() != tc.unstamped || tl.latency.maximum() != tc.maxNs {
				t.Errorf("received %d, unstamped %d, latest %d ns; want %d, %d, %d",
					tl.received.Load(), tl.unstamped.Load(), tl.latency.maximum(), tc.received, tc.unstamped, tc.maxNs)
			}
		})
	}
}

// Readers record at once: every receipt counts, and the earliest and latest survive the race.
func TestTallyConcurrent(t *testing.T) {
	var tl tally
	var wg sync.WaitGroup
	for r := range 50 {
		wg.Go(func() {
			for ev := range int64(20) {
				stamp := 1_000_000 * (ev + 1)
				tl.record(stamp+int64(r)*10+5, stamp, true)
			}
		})
	}
	wg.Wait()
	got := tl.receipts()
	if len(got) != 20 {
		t.Fatalf("%d events, want 20", len(got))
	}
	for i, e := range got {
		stamp := 1_000_000 * int64(i+1)
		if want := (eventReceipts{Stamp: stamp, Clients: 50, FirstNs: stamp + 5, LastNs: stamp + 495}); e != want {
			t.Errorf("event %d: %+v, want %+v", i, e, want)
		}
	}
	if tl.received.Load() != 1000 || tl.latency.count() != 1000 {
		t.Errorf("received %d, histogram %d; want 1000", tl.received.Load(), tl.latency.count())
	}
}
