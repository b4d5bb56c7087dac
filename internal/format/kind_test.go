package format

import (
	"errors"
	"testing"
)

func TestParseKind(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Kind
		err  bool
	}{
		{"envelope", Envelope, false},
		{"named", Named, false},
		{"", Envelope, true},
		{"Named", Envelope, true},
		{"json", Envelope, true},
	} {
		got, err := ParseKind(tc.in)
		if got != tc.want || (err != nil) != tc.err {
			t.Errorf("ParseKind(%q) = %v, %v; want %v, error %t", tc.in, got, err, tc.want, tc.err)
		}
		if err != nil && !errors.Is(err, ErrUnknownKind) {
			t.Errorf("ParseKind(%q) error %v does not wrap ErrUnknownKind", tc.in, err)
		}
		if err == nil && got.String() != tc.in {
			t.Errorf("ParseKind(%q).String() = %q, want it back", tc.in, got.String())
		}
	}
	if got := Kind(7).String(); got != "Kind(7)" {
		t.Errorf("Kind(7).String() = %q, want Kind(7)", got)
	}
}
