package hastamp

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

func TestAppendTime(t *testing.T) {
	for _, tc := range []struct {
		in   time.Time
		want string
	}{
		{time.Date(2025, 3, 14, 9, 31, 40, 120567000, time.UTC), "2025-03-14T09:31:40.120567+00:00"},
		{time.Date(2025, 3, 14, 9, 31, 40, 0, time.UTC), "2025-03-14T09:31:40+00:00"},
		{time.Date(2025, 3, 14, 9, 31, 40, 4000, time.UTC), "2025-03-14T09:31:40.000004+00:00"},
		{time.Date(2025, 3, 14, 9, 31, 40, 5000, time.UTC), "2025-03-14T09:31:40.000005+00:00"},
		{time.Date(2025, 3, 14, 9, 31, 40, 999, time.UTC), "2025-03-14T09:31:40+00:00"}, // below a microsecond
		{time.Date(2025, 3, 14, 10, 31, 40, 500000000, time.FixedZone("CET", 3600)), "2025-03-14T09:31:40.500000+00:00"},
		{time.Date(2025, 3, 14, 10, 31, 40, 0, time.FixedZone("CET", 3600)), "2025-03-14T09:31:40+00:00"},
	} {
		if got := string(AppendTime([]byte("x"), tc.in)); got != "x"+tc.want {
			t.Errorf("AppendTime(x, %v) = %q, want x%q", tc.in, got, tc.want)
		}
	}
}

func TestULID(t *testing.T) {
	// The ULID specification's example: 1469918176385 ms encodes as 01ARYZ6S41.
	r := rand.New(rand.NewPCG(1, 2))
	if got := ULID(time.UnixMilli(1469918176385), r); got[:10] != "01ARYZ6S41" || len(got) != 26 || strings.Trim(got, crockford) != "" {
		t.Errorf("ULID(1469918176385 ms) = %q, want prefix 01ARYZ6S41 and 26 Crockford characters", got)
	}
	if got := ULID(time.UnixMilli(0), rand.New(zeroSource{})); got != "00000000000000000000000000" {
		t.Errorf("ULID(0, zero randomness) = %q, want 26 zeros", got)
	}
	if got := ULID(time.UnixMilli(1<<48-1), rand.New(maxSource{})); got != "7ZZZZZZZZZZZZZZZZZZZZZZZZZ" {
		t.Errorf("ULID(max) = %q, want 7ZZZZZZZZZZZZZZZZZZZZZZZZZ", got)
	}
	if a, b := ULID(time.UnixMilli(1000), r), ULID(time.UnixMilli(1001), r); a[:10] >= b[:10] {
		t.Errorf("ULIDs %s and %s do not sort by time", a, b)
	}

	// With the shared source: different ids of one time, whose first 10 characters are it.
	at := time.UnixMilli(1741944413589)
	a, b := ULID(at, nil), ULID(at, nil)
	if len(a) != 26 || strings.Trim(a, crockford) != "" || a == b {
		t.Errorf("ULID(at, nil) twice = %s, %s; want two different 26-character ULIDs", a, b)
	}
	var ms int64
	for _, c := range a[:10] {
		ms = ms<<5 | int64(strings.IndexRune(crockford, c))
	}
	if ms != at.UnixMilli() {
		t.Errorf("ULID(%v, nil) = %s, whose time is %d ms, want %d", at, a, ms, at.UnixMilli())
	}
}

type zeroSource struct{}

func (zeroSource) Uint64() uint64 { return 0 }

type maxSource struct{}

func (maxSource) Uint64() uint64 { return math.MaxUint64 }
