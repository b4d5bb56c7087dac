//go:build realha

package realha

import (
	"fmt"
	"strings"
	"sync"
	"testing"
	"time"

	"hasse/internal/hatest"
)

// fill adds n entities of a few kilobytes each to h through POST /api/states (8 at a time): a big
// home's get_states.
func fill(t *testing.T, h *hatest.Home, n int) {
	t.Helper()
	ctx := t.Context()
	work := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var failed error
	for range 8 {
		wg.Go(func() {
			for i := range work {
				if err := h.SetState(ctx, bigEntity(i), "on", bigAttributes(i, 0)); err != nil {
					mu.Lock()
					failed = err
					mu.Unlock()
				}
			}
		})
	}
	for i := range n {
		work <- i
	}
	close(work)
	wg.Wait()
	if failed != nil {
		t.Fatal(failed)
	}
}

func bigEntity(i int) string { return fmt.Sprintf("sensor.big_home_%04d", i) }

// bigAttributes are an entity's attributes of about 1.5 KB, as a media player's or a weather
// entity's are.
func bigAttributes(i, version int) map[string]any {
	forecast := make([]map[string]any, 12)
	for h := range forecast {
		forecast[h] = map[string]any{"datetime": fmt.Sprintf("2026-12-05T%02d:00:00+00:00", h), "temperature": 10 + h%5,
			"condition": "partlycloudy", "precipitation_probability": h * 7 % 100}
	}
	return map[string]any{"friendly_name": fmt.Sprintf("Big home sensor %d", i), "version": version,
		"description": strings.Repeat("a long attribute value ", 12), "forecast": forecast}
}

// A home of 3,000 more entities with large attributes (a get_states of several MB): hasse sets
// up its link (features, registries, subscription, every state) and stays connected while the
// big entities change; its snapshot has every one of them. The log gives the set-up time.
func TestBigHome(t *testing.T) {
	t.Parallel() // a Home Assistant of its own
	h := startOwnHome(t)
	const n = 3000
	began := time.Now()
	fill(t, h, n)
	states, err := h.States(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	status, body, err := h.REST(t.Context(), "GET", "/api/states", h.Owner.Token, nil)
	if err != nil || status != 200 {
		t.Fatal(status, err)
	}
	t.Logf("%d entities added in %v; GET /api/states: %d states, %.1f MB", n, time.Since(began).Round(time.Millisecond), len(states), float64(len(body))/1e6)

	s := serve(t, h)
	setup := s.waitConnected(t, 60*time.Second)
	t.Logf("hasse connected (set-up included) %v after its start", setup.Round(time.Millisecond))
	stopWatch := linkWatch(t, s)
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			for i := w; i < 400; i += 4 {
				if err := h.SetState(t.Context(), bigEntity(i*7%n), "on", bigAttributes(i, 1)); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	wg.Wait()
	polls, down := stopWatch()
	if down > 0 {
		t.Errorf("hasse's link was down in %d of %d health polls", down, polls)
	}
	snap := snapshot(t, s, "entity_id=sensor.big_home_*", h.Owner.Token)
	if len(snap) != n {
		t.Errorf("snapshot of the big entities: %d, want %d", len(snap), n)
	}
	if !strings.Contains(s.logText(), "home assistant connected") || strings.Contains(s.logText(), "connection lost") {
		t.Errorf("hasse's link did not hold:\n%s", s.logText())
	}
}
