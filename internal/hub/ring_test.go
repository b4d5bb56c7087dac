package hub

import (
	"strconv"
	"testing"

	"hasse/internal/format"
	"hasse/internal/hass"
)

func TestRing(t *testing.T) {
	frame := func(seq uint64) *format.Frame {
		return &format.Frame{Event: &hass.Event{ID: "e-" + strconv.FormatUint(seq, 10)}}
	}
	all := func(*format.Frame) bool { return true }
	for _, tc := range []struct {
		name      string
		size      int
		published uint64 // events 1..published went in
		after     uint64
		covers    bool
		want      string // ids of appendAfter, joined
	}{
		{"empty ring, up to date", 4, 0, 0, true, ""},
		{"not full, from start", 4, 3, 0, true, "e-1,e-2,e-3"},
		{"not full, middle", 4, 3, 1, true, "e-2,e-3"},
		{"up to date", 4, 3, 3, true, ""},
		{"future id", 4, 3, 7, false, ""},
		{"wrapped, oldest kept", 4, 10, 6, true, "e-7,e-8,e-9,e-10"},
		{"wrapped, one too old", 4, 10, 5, false, ""},
		{"wrapped, newest", 4, 10, 9, true, "e-10"},
		{"no replay at all", 0, 10, 9, false, ""},
		{"no replay, up to date", 0, 10, 10, true, ""},
	} {
		r := newRing(tc.size, 0, "e")
		for seq := uint64(1); seq <= tc.published; seq++ {
			r.put(frame(seq), seq)
		}
		if got := r.covers(tc.after, tc.published); got != tc.covers {
			t.Errorf("%s: covers(%d) = %v, want %v", tc.name, tc.after, got, tc.covers)
		}
		if !tc.covers {
			continue
		}
		var ids []string
		for _, fr := range r.appendAfter(nil, tc.after, all) {
			ids = append(ids, fr.Event.ID)
		}
		if got := joinIDs(ids); got != tc.want {
			t.Errorf("%s: appendAfter(%d) = %s, want %s", tc.name, tc.after, got, tc.want)
		}
	}
}

func joinIDs(ids []string) string {
	s := ""
	for i, id := range ids {
		if i > 0 {
			s += ","
		}
		s += id
	}
	return s
}

// TestRingBytes: the ring lets go of its oldest frames while it holds more than its bytes, but
// always keeps the newest.
func TestRingBytes(t *testing.T) {
	frame := func(seq uint64, size int) *format.Frame {
		return &format.Frame{Event: &hass.Event{ID: "e-" + strconv.FormatUint(seq, 10), Data: make([]byte, size)}}
	}
	for _, tc := range []struct {
		name     string
		sizes    []int // of frames 1, 2, …
		maxBytes int
		want     string // ids held
		after    uint64 // resume point that is no longer covered; 0: none
	}{
		{"under the bound", []int{100, 100, 100}, 1000, "e-1,e-2,e-3", 0},
		{"at the bound", []int{100, 100, 100}, 300, "e-1,e-2,e-3", 0},
		{"over by one frame", []int{100, 100, 100, 100}, 300, "e-2,e-3,e-4", 0},
		{"a big frame pushes out several", []int{100, 100, 100, 250}, 300, "e-4", 2},
		{"one frame over the bound is kept", []int{100, 5000}, 300, "e-2", 0},
		{"no bound", []int{5000, 5000}, 0, "e-1,e-2", 0},
	} {
		r := newRing(100, tc.maxBytes, "e")
		for i, size := range tc.sizes {
			r.put(frame(uint64(i+1), size), uint64(i+1))
		}
		var ids []string
		for _, fr := range r.held() {
			ids = append(ids, fr.Event.ID)
		}
		if got := joinIDs(ids); got != tc.want {
			t.Errorf("%s: held %s, want %s", tc.name, got, tc.want)
		}
		total := 0
		for _, fr := range r.held() {
			total += fr.Size()
		}
		if total != r.bytes || (tc.maxBytes > 0 && len(r.held()) > 1 && total > tc.maxBytes) {
			t.Errorf("%s: %d bytes held (counted %d), bound %d", tc.name, total, r.bytes, tc.maxBytes)
		}
		if tc.after > 0 && r.covers(tc.after, uint64(len(tc.sizes))) {
			t.Errorf("%s: covers(%d) after its frames were let go", tc.name, tc.after)
		}
	}
}

// TestRingMovesDown: a long run of puts keeps the ring's slice in proportion to what it holds.
func TestRingMovesDown(t *testing.T) {
	r := newRing(10, 0, "e")
	for seq := uint64(1); seq <= 10000; seq++ {
		r.put(&format.Frame{Event: &hass.Event{}}, seq)
	}
	if len(r.held()) != 10 || r.first != 9991 || cap(r.frames) > 1000 {
		t.Errorf("held %d from %d in a slice of capacity %d; want 10 from 9991 in a small slice", len(r.held()), r.first, cap(r.frames))
	}
}

// TestRingIDs: entries that came with an id are found by it, exactly, while the ring holds them;
// the floor names the newest entry let go, so that every entry after it is held; a mark among
// the entries after a resume point is reported, not replayed.
func TestRingIDs(t *testing.T) {
	r := newRing(4, 0, "e")
	ev := func(id string) *format.Frame { return format.NewFrame(&hass.Event{ID: id, Type: "x"}) }
	r.forget("s-0", 0)
	r.putWithID(ev("s-1"), 1)
	r.putWithID(ev("s-2"), 2)
	r.putMark("s-3", "leader_failover", 3)
	for seq := uint64(4); seq <= 6; seq++ {
		r.putWithID(ev("s-"+strconv.FormatUint(seq, 10)), seq)
	}
	for _, tc := range []struct {
		id    string
		seq   uint64
		found bool
	}{
		{"s-1", 0, false}, {"s-2", 0, false}, {"s-3", 3, true}, {"s-6", 6, true}, {"s-7", 0, false}, {"s-3 ", 0, false},
	} {
		if seq, ok := r.lookup(tc.id); seq != tc.seq || ok != tc.found {
			t.Errorf("lookup(%q) = %d, %v; want %d, %v", tc.id, seq, ok, tc.seq, tc.found)
		}
	}
	if r.floor != "s-2" || r.floorSeq != 2 {
		t.Errorf("floor %q at %d, want s-2 at 2", r.floor, r.floorSeq)
	}
	all := func(*format.Frame) bool { return true }
	if frames, gap := r.appendAfter(nil, r.floorSeq, all), r.gapAfter(r.floorSeq); len(frames) != 3 || gap != "leader_failover" {
		t.Errorf("after the floor: %d frames, gap %q; want 3 and leader_failover", len(frames), gap)
	}
	if frames, gap := r.appendAfter(nil, 3, all), r.gapAfter(3); len(frames) != 3 || gap != "" {
		t.Errorf("after the mark: %d frames, gap %q; want 3 and none", len(frames), gap)
	}
	r.putWithID(ev("s-7"), 7) // the mark goes
	if _, ok := r.lookup("s-3"); ok || len(r.marks) != 0 || r.floor != "s-3" {
		t.Errorf("the mark let go is still found (%d marks), or floor %q; want floor s-3", len(r.marks), r.floor)
	}
	r.forget("t-0", 7)
	if _, ok := r.lookup("s-6"); ok || r.floor != "t-0" {
		t.Errorf("after forget: s-6 still found, or floor %q", r.floor)
	}
}

// BenchmarkRingLookup finds an id in a full ring of 10,000 events that came with ids: the newest
// (a client that just reconnected), and one the ring does not hold (the whole ring scanned, as
// before asking the History).
func BenchmarkRingLookup(b *testing.B) {
	r := newRing(10_000, 0, "local")
	r.forget("ep-0-0", 0)
	for seq := uint64(1); seq <= 20_000; seq++ {
		r.putWithID(&format.Frame{Event: &hass.Event{ID: "ep-" + strconv.FormatUint(1700000000000+seq, 10) + "-0"}}, seq)
	}
	for _, bc := range []struct{ name, id string }{
		{"newest", "ep-1700000020000-0"},
		{"missing", "ep-1700000000001-0"},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				r.lookup(bc.id)
			}
		})
	}
}
