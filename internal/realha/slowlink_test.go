//go:build realha

package realha

import (
	"strings"
	"testing"
	"time"
)

// A big home (3,000 more entities, a get_states of 6 MB) behind a link of 400 kB/s, as a remote
// Home Assistant or a Raspberry Pi gives: hasse's set-up (features, three registry lists,
// subscribe, get_states) takes longer than 10 s, and hasse must still connect, and stay
// connected.
func TestBigHomeOnASlowLink(t *testing.T) {
	t.Parallel() // a Home Assistant of its own
	h := startOwnHome(t)
	fill(t, h, 3000)
	proxy := startCutter(t, strings.TrimPrefix(h.URL, "http://"))
	proxy.throttle(400_000)
	s := serveAt(t, "http://"+proxy.ln.Addr().String(), h.Owner.Token)
	setup := s.waitConnected(t, 90*time.Second)
	t.Logf("hasse connected %v after its start, through %d connections", setup.Round(time.Millisecond), proxy.connections())
	time.Sleep(10 * time.Second) // connected must last, not a timing assertion
	if hl := s.health(t); !hl.HA.Connected {
		t.Errorf("hasse's link dropped after its set-up: %+v", hl)
	}
	if n := strings.Count(s.logText(), "home assistant connected"); n != 1 {
		t.Errorf("hasse connected %d times", n)
	}
}
