package cluster

import "testing"

func TestParseStreamID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want StreamID
		ok   bool
	}{
		{"1700000000000-0", StreamID{1700000000000, 0}, true},
		{"5-17", StreamID{5, 17}, true},
		{"0-0", StreamID{}, true},
		{"5", StreamID{}, false},
		{"-1", StreamID{}, false},
		{"5-x", StreamID{}, false},
		{"18446744073709551616-0", StreamID{}, false},
	} {
		got, ok := ParseStreamID(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseStreamID(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && got.String() != tc.in {
			t.Errorf("ParseStreamID(%q).String() = %q", tc.in, got.String())
		}
	}
}

func TestParseEventID(t *testing.T) {
	for _, tc := range []struct {
		in    string
		epoch string
		id    StreamID
		ok    bool
	}{
		{"ep-105-0", "ep", StreamID{105, 0}, true},
		{eventID("abc123", StreamID{7, 3}), "abc123", StreamID{7, 3}, true},
		{"local-3", "", StreamID{}, false}, // a hub's own numbering
		{"x-y-z", "", StreamID{}, false},
		{"garbage", "", StreamID{}, false},
	} {
		epoch, id, ok := parseEventID(tc.in)
		if ok != tc.ok || ok && (epoch != tc.epoch || id != tc.id) {
			t.Errorf("parseEventID(%q) = %q, %v, %v; want %q, %v, %v", tc.in, epoch, id, ok, tc.epoch, tc.id, tc.ok)
		}
	}
}
