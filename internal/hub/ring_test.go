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
		r := newRing(tc.size)
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
