package filter

import (
	"errors"
	"net/url"
	"runtime"
	"testing"
	"time"

	"hasse/internal/testwait"
)

func TestSharedParseSharesEqualRequests(t *testing.T) {
	tests := []struct {
		name string
		a, b url.Values
		same bool
	}{
		{"the same parameters", url.Values{"domain": {"light"}}, url.Values{"domain": {"light"}}, true},
		{"other parameters are not the filter's", url.Values{"domain": {"light"}, "format": {"named"}}, url.Values{"domain": {"light"}, "client_id": {"x"}}, true},
		{"another value", url.Values{"domain": {"light"}}, url.Values{"domain": {"switch"}}, false},
		{"another parameter", url.Values{"domain": {"light"}}, url.Values{"area": {"light"}}, false},
		{"one value with a comma is not two values", url.Values{"domain": {"light,switch"}}, url.Values{"domain": {"light", "switch"}}, false},
		{"no filter at all", url.Values{}, url.Values{"snapshot": {"1"}}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var s Shared
			fa, err := s.Parse(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			fb, err := s.Parse(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if (fa == fb) != tt.same {
				t.Fatalf("shared = %v, want %v", fa == fb, tt.same)
			}
			fresh, _ := Parse(tt.b)
			if !equalFilters(fb, fresh) {
				t.Fatalf("shared filter %+v, want what Parse makes: %+v", fb, fresh)
			}
		})
	}
}

// equalFilters compares two filters by what they say on the wire.
func equalFilters(a, b *Filter) bool {
	ja, _ := a.MarshalJSON()
	jb, _ := b.MarshalJSON()
	return string(ja) == string(jb)
}

func TestSharedParseKeepsNoError(t *testing.T) {
	var s Shared
	bad := url.Values{"entity_id": {"light..x"}}
	for range 2 {
		_, err := s.Parse(bad)
		var pe *ParamError
		if !errors.As(err, &pe) {
			t.Fatalf("Parse(%v) = %v, want a *ParamError every time", bad, err)
		}
	}
	if got := s.Held(); got != 0 {
		t.Fatalf("Held() = %d after only bad requests, want 0", got)
	}
}

func TestSharedForgetsFiltersNoOneHolds(t *testing.T) {
	var s Shared
	f, err := s.Parse(url.Values{"domain": {"light"}})
	if err != nil {
		t.Fatal(err)
	}
	if got := s.Held(); got != 1 {
		t.Fatalf("Held() = %d with one filter in use, want 1", got)
	}
	runtime.KeepAlive(f)
	testwait.For(t, time.Minute, "the unused filter forgotten", func() bool {
		runtime.GC() // its cleanup runs after a collection finds it unreachable
		return s.Held() == 0
	})
	g, err := s.Parse(url.Values{"domain": {"light"}})
	if err != nil || g == nil {
		t.Fatalf("Parse after forgetting = %v, %v; want a new filter", g, err)
	}
}
