package hub

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/ssetest"
)

// publishAndWait publishes evs and returns once a catch-all watcher has received all of them, so
// that the hub has dispatched them.
func publishAndWait(t *testing.T, h *Hub, watcher *ssetest.Recorder, seen *int, evs ...*hass.Event) {
	t.Helper()
	for _, ev := range evs {
		h.Publish(ev)
	}
	for want := *seen + len(evs); *seen < want; {
		*seen += len(ids(<-watcher.Flushes))
	}
}

// TestResumeAtEveryPoint drops a client after every event of a stream, resumes it and checks that
// the replay and the live events after it hold every matching event exactly once, in order.
func TestResumeAtEveryPoint(t *testing.T) {
	for _, tc := range []struct {
		query string
		kind  format.Kind
	}{{"", format.Envelope}, {"domain=light", format.Envelope}, {"", format.Named}, {"domain=light", format.Named}} {
		query := tc.query
		h := startHub(t, Config{Epoch: "ep", ReplaySize: 100})
		w, err := h.Subscribe(context.Background(), Subscription{ID: "watcher", User: "w"})
		if err != nil {
			t.Fatal(err)
		}
		watcher, _ := stream(t, w)
		seen := 0
		var all []*hass.Event
		for i := range 12 {
			entity := fmt.Sprintf("light.l%d", i)
			if i%3 == 0 {
				entity = fmt.Sprintf("switch.s%d", i)
			}
			all = append(all, stateEvent(entity, "on"))
		}
		publishAndWait(t, h, watcher, &seen, all[:8]...)
		f := mustFilter(t, query)
		for k := range 9 { // the client last saw ep-k (ep-0: nothing yet)
			c, err := h.Subscribe(context.Background(), Subscription{ID: fmt.Sprint("r", k), User: fmt.Sprint("r", k), Filter: f, Format: tc.kind, LastEventID: fmt.Sprintf("ep-%d", k)})
			if err != nil {
				t.Fatal(err)
			}
			if !c.Resumed || c.Gap != "" {
				t.Errorf("%q resume after ep-%d: Resumed %v, Gap %q; want a resume", query, k, c.Resumed, c.Gap)
			}
			rec, _ := stream(t, c)
			var want []string
			for i, ev := range all[k:8] {
				if f.Match(ev) {
					want = append(want, fmt.Sprintf("ep-%d", k+i+1))
				}
			}
			var got []string
			for len(got) < len(want) {
				got = append(got, ids(<-rec.Flushes)...)
			}
			if !slicesEqual(got, want) {
				t.Errorf("%q resume after ep-%d: replay %v, want %v", query, k, got, want)
			}
			c.Close()
		}
		// Live events continue the replay without a hole: a client resumed now gets ep-9.. live.
		c, err := h.Subscribe(context.Background(), Subscription{ID: "live", User: "l", Filter: f, Format: tc.kind, LastEventID: "ep-8"})
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := stream(t, c)
		publishAndWait(t, h, watcher, &seen, all[8:]...)
		var want []string
		for i, ev := range all[8:] {
			if f.Match(ev) {
				want = append(want, fmt.Sprintf("ep-%d", 9+i))
			}
		}
		var got []string
		for len(got) < len(want) {
			got = append(got, ids(<-rec.Flushes)...)
		}
		if !slicesEqual(got, want) {
			t.Errorf("%q live after resume at ep-8: %v, want %v", query, got, want)
		}
	}
}

func TestResumeGaps(t *testing.T) {
	h := startHub(t, Config{Epoch: "ep", ReplaySize: 4})
	w, err := h.Subscribe(context.Background(), Subscription{ID: "watcher", User: "w"})
	if err != nil {
		t.Fatal(err)
	}
	watcher, _ := stream(t, w)
	seen := 0
	for i := range 10 {
		publishAndWait(t, h, watcher, &seen, stateEvent(fmt.Sprintf("light.l%d", i), "on"))
	}
	for _, tc := range []struct {
		lastID  string
		gap     format.Gap
		resumed bool
	}{
		{"ep-10", "", true},
		{"ep-6", "", true},
		{"ep-5", format.GapReplayWindowExceeded, false},
		{"ep-0", format.GapReplayWindowExceeded, false},
		{"ep-11", format.GapUnknownEventID, false},
		{"other-3", format.GapEpochChanged, false},
		{"garbage", format.GapUnknownEventID, false},
		{"ep-x", format.GapUnknownEventID, false},
		{"ep--1", format.GapUnknownEventID, false},
		{strings.Repeat("9", 70), format.GapUnknownEventID, false},
	} {
		c, err := h.Subscribe(context.Background(), Subscription{ID: tc.lastID, User: tc.lastID, LastEventID: tc.lastID})
		if err != nil {
			t.Fatal(err)
		}
		if c.Gap != tc.gap || c.Resumed != tc.resumed {
			t.Errorf("resume after %q: Gap %q, Resumed %v; want %q, %v", tc.lastID, c.Gap, c.Resumed, tc.gap, tc.resumed)
		}
		c.Close()
	}
}
