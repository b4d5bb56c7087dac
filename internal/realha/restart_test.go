//go:build realha

package realha

import (
	"context"
	"testing"
	"time"

	"hasse/internal/hatest"
	"hasse/internal/testwait"
)

// Home Assistant restarts twice while clients stream, with a state changed while it is down, the
// first time slowly (an integration still loading while the WebSocket API answers, then its
// entities unavailable placeholders for a while): one gap per restart, no entity that exists
// before and after is said to be removed, and every view ends with Home Assistant's states.
func TestHomeAssistantRestartsWhileStreaming(t *testing.T) {
	t.Parallel() // a Home Assistant of its own
	h := startOwnHome(t)
	s := serve(t, h)
	s.waitConnected(t, 30*time.Second)
	views := map[*view]func(hatest.State) bool{
		watch(t, s, "envelope", "", h.Owner.Token):          all,
		watch(t, s, "named", "format=named", h.Owner.Token): all,
	}
	const restarts = 2
	for i := 1; i <= restarts; i++ {
		stop := busy(t, h)
		time.Sleep(time.Second) // events flow before the restart
		stop()
		if err := h.Stop(); err != nil {
			t.Fatal(err)
		}
		var guest string
		if i%2 == 1 {
			guest = "on"
		} else {
			guest = "off"
		}
		if err := h.SetRestoredState("input_boolean.guest_mode", guest); err != nil {
			t.Fatal(err)
		}
		h.SlowSetup, h.SlowEntities = 0, 0
		if i == 1 {
			h.SlowSetup, h.SlowEntities = 15*time.Second, 10*time.Second
		}
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		err := h.Resume(ctx)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		testwait.Gently(t, 60*time.Second, "every client's gap after the restart", func() bool {
			for v := range views {
				if gaps, _ := v.counts(); gaps < i {
					return false
				}
			}
			return true
		})
	}
	// The garage sensors are real again (not placeholders) before the views are compared.
	testwait.Gently(t, 60*time.Second, "the slow integration's sensors", func() bool {
		states, err := h.States(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		for _, st := range states {
			if st.EntityID == "sensor.garage_power" {
				return st.Attributes["restored"] == nil
			}
		}
		return false
	})
	viewsEqualTruth(t, h, 30*time.Second, views, promised...)
	for v := range views {
		gaps, _ := v.counts()
		if gaps != restarts {
			t.Errorf("%s: %d gaps for %d restarts", v.name, gaps, restarts)
		}
		if len(v.removed) > 0 {
			t.Errorf("%s: told that %d entities were removed: %v", v.name, len(v.removed), v.removed)
		}
	}
}
