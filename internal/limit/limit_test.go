package limit

import (
	"testing"
	"time"
)

func TestAllow(t *testing.T) {
	l := New(Config{Requests: 3, Window: time.Minute})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		key   string
		at    time.Duration
		ok    bool
		retry time.Duration
	}{
		{"a", 0, true, 0},
		{"a", 0, true, 0},
		{"a", 0, true, 0},
		{"a", 0, false, 20 * time.Second}, // one token every 20 s
		{"b", 0, true, 0},                 // another key has its own bucket
		{"a", 19 * time.Second, false, time.Second},
		{"a", 20 * time.Second, true, 0},
		{"a", 20 * time.Second, false, 20 * time.Second},
	} {
		ok, retry := l.Allow(tc.key, t0.Add(tc.at))
		if ok != tc.ok || (retry-tc.retry).Abs() > time.Millisecond { // the rate is a float
			t.Errorf("Allow(%q) at +%v = %v, %v; want %v, %v", tc.key, tc.at, ok, retry, tc.ok, tc.retry)
		}
	}
}

func TestIdleKeysAreForgotten(t *testing.T) {
	l := New(Config{Requests: 10, Window: time.Minute})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range 1000 {
		l.Allow(string(rune('a'+i%26))+string(rune(i)), t0)
	}
	if l.Len() != 1000 {
		t.Fatalf("Len() = %d, want 1000", l.Len())
	}
	l.Allow("fresh", t0.Add(30*time.Second))
	l.Allow("fresh", t0.Add(61*time.Second))
	if l.Len() != 1 {
		t.Errorf("after a window of idleness Len() = %d, want 1 (only the fresh key)", l.Len())
	}
}

func TestAllowNTakesAllOrNothing(t *testing.T) {
	l := New(Config{Requests: 10, Window: time.Minute})
	t0 := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	for _, tc := range []struct {
		n     int
		ok    bool
		retry time.Duration
	}{
		{8, true, 0},
		{3, false, 6 * time.Second}, // two left: one more token comes in 6 s
		{2, true, 0},                // the refusal took nothing
		{1, false, 6 * time.Second},
		{11, false, time.Minute}, // more than a window's allowance: never
	} {
		ok, retry := l.AllowN("a", tc.n, t0)
		if ok != tc.ok || (retry-tc.retry).Abs() > time.Millisecond {
			t.Errorf("AllowN(%d) = %v, %v; want %v, %v", tc.n, ok, retry, tc.ok, tc.retry)
		}
	}
}
