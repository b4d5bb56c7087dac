//go:build realha

package realha

import (
	"strings"
	"testing"
	"time"

	"hasse/internal/hatest"
	"hasse/internal/testwait"
)

// While the link is down, an entity goes on and off again: Home Assistant's state object has a
// new last_changed, last_updated and context though its state and attributes are what they were.
// After the gap every view holds Home Assistant's state objects, whole: the resync compares
// timestamps too (hass.SameState).
func TestResyncSeesARoundTrip(t *testing.T) {
	ctx := t.Context()
	if err := home.CallService(ctx, "input_boolean", "turn_off", map[string]any{"entity_id": "input_boolean.guest_mode"}); err != nil {
		t.Fatal(err)
	}
	proxy := startCutter(t, strings.TrimPrefix(home.URL, "http://"))
	s := serveAt(t, "http://"+proxy.ln.Addr().String(), home.Owner.Token)
	s.waitConnected(t, 30*time.Second)
	views := map[*view]func(hatest.State) bool{
		watch(t, s, "envelope", "", home.Owner.Token):          all,
		watch(t, s, "named", "format=named", home.Owner.Token): all,
	}
	viewsEqualTruth(t, home, 30*time.Second, views) // whole objects, before the outage

	proxy.block(true)
	proxy.cut()
	testwait.Gently(t, 10*time.Second, "hasse sees the link down", func() bool { return !s.health(t).HA.Connected })
	for _, service := range []string{"turn_on", "turn_off"} {
		if err := home.CallService(ctx, "input_boolean", service, map[string]any{"entity_id": "input_boolean.guest_mode"}); err != nil {
			t.Fatal(err)
		}
	}
	proxy.block(false)
	testwait.Gently(t, 60*time.Second, "every client's gap", func() bool {
		for v := range views {
			if gaps, _ := v.counts(); gaps < 1 {
				return false
			}
		}
		return true
	})
	viewsEqualTruth(t, home, 15*time.Second, views)
}
