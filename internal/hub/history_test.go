package hub

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// fromHistory is an event with the id id, as a History hands it to the hub.
func fromHistory(id, entity, state string) *hass.Event {
	ev := stateEvent(entity, state)
	ev.ID = id
	return ev
}

// TestHistoryResumeFromTheRing resumes clients by ids a history gave at every point of a small
// ring: each gets the events after its id, once, in order; an id the ring does not hold ends in a
// gap (no History to ask here; cluster's tests ask one), and so does an id of the hub's own
// numbering that the ring no longer holds.
func TestHistoryResumeFromTheRing(t *testing.T) {
	h := startHub(t, Config{Epoch: "local", ReplaySize: 8})
	h.Reset("ep-100-0", "", []hass.State{state("light.a", "on")})
	w, err := h.Subscribe(context.Background(), Subscription{ID: "w", User: "w"})
	if err != nil {
		t.Fatal(err)
	}
	watcher, _ := stream(t, w)
	var all []string
	for i := range 12 {
		ev := fromHistory(fmt.Sprintf("ep-%d-0", 101+i), fmt.Sprintf("light.l%d", i), "on")
		all = append(all, ev.ID)
		h.Publish(ev)
	}
	var got []string
	for len(got) < len(all) {
		got = append(got, ids(<-watcher.Flushes)...)
	}
	if !slicesEqual(got, all) {
		t.Fatalf("watcher got %v, want the stream's ids %v", got, all)
	}
	// The ring holds the last 8 (ep-105-0 … ep-112-0): ep-104-0 is the floor, and every entry
	// after it is held.
	for _, tc := range []struct {
		last   string
		replay []string
		gap    format.Gap
	}{
		{"ep-104-0", all[4:], ""},
		{"ep-108-0", all[8:], ""},
		{"ep-112-0", nil, ""},
		{"ep-100-0", nil, format.GapUnknownEventID},      // the reset's place, no longer held, and no History to ask
		{"ep-113-0", nil, format.GapUnknownEventID},      // never handed, and no History to ask
		{"ep-108-0 ", nil, format.GapUnknownEventID},     // ids are found exactly
		{"local-3", nil, format.GapReplayWindowExceeded}, // the hub's own numbering shares the ring's sequence
		{"local-13", nil, format.GapUnknownEventID},
		{"other-3", nil, format.GapEpochChanged}, // another hub's numbering: never an id a history gives
	} {
		c, err := h.Subscribe(context.Background(), Subscription{ID: tc.last, User: tc.last, LastEventID: tc.last})
		if err != nil {
			t.Fatal(err)
		}
		if c.Gap != tc.gap || c.Resumed != (tc.gap == "") {
			t.Errorf("resume after %s: Resumed %v, Gap %q; want gap %q", tc.last, c.Resumed, c.Gap, tc.gap)
		}
		var replay []string
		for _, fr := range c.replay {
			replay = append(replay, fr.Event.ID)
		}
		if !slicesEqual(replay, tc.replay) {
			t.Errorf("resume after %s: replay %v, want %v", tc.last, replay, tc.replay)
		}
		c.Close()
	}
}

// TestHistoryMarks checks what clients hear of a history's marks: the leader's link going down
// and up, a failover, and the history lost, each outage closed by one gap.
func TestHistoryMarks(t *testing.T) {
	h := startHub(t, Config{Epoch: "local"})
	h.Reset("ep-0-0", "", nil)
	c, err := h.Subscribe(context.Background(), Subscription{ID: "c", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := stream(t, c)
	h.Gap("ep-1-0", format.GapLeaderFailover) // the first leader: nothing was lost
	h.Publish(fromHistory("ep-2-0", "light.a", "on"))
	h.Disconnected()
	h.Gap("ep-4-0", format.GapHAReconnected)
	h.Publish(fromHistory("ep-5-0", "light.a", "off"))
	h.Gap("ep-6-0", format.GapLeaderFailover)
	h.Publish(fromHistory("ep-7-0", "light.a", "on"))
	h.Reset("ep2-0-0", format.GapEpochChanged, nil) // the history was lost
	h.Gap("ep2-1-0", format.GapLeaderFailover)      // the same outage: no second gap
	h.Publish(fromHistory("ep2-2-0", "light.a", "off"))
	want := []string{
		"id: ep-2-0",
		`"error":"ha_disconnected"`,
		`"type":"gap","reason":"ha_reconnected","since":"ep-2-0"`,
		"id: ep-5-0",
		`"type":"gap","reason":"leader_failover","since":"ep-5-0"`,
		"id: ep-7-0",
		`"type":"gap","reason":"epoch_changed","since":"ep-7-0"`,
		"id: ep2-2-0",
	}
	got := messages(t, rec, len(want))
	for i, w := range want {
		if i >= len(got) || !strings.Contains(got[i], w) {
			t.Errorf("messages %q\nwant, in order, %q", got, want)
			break
		}
	}
	// A resume across a failover says so, though it replays what follows.
	r, err := h.Subscribe(context.Background(), Subscription{ID: "r", User: "r", LastEventID: "ep2-1-0"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Resumed || len(r.replay) != 1 {
		t.Errorf("resume after ep2-1-0: Resumed %v, %d replayed; want 1", r.Resumed, len(r.replay))
	}
	r.Close()
	r, err = h.Subscribe(context.Background(), Subscription{ID: "r2", User: "r", LastEventID: "ep2-0-0"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Resumed || r.Gap != format.GapLeaderFailover || len(r.replay) != 1 {
		t.Errorf("resume across a failover: Resumed %v, Gap %q, %d replayed; want a resume with gap %s and 1", r.Resumed, r.Gap, len(r.replay), format.GapLeaderFailover)
	}
	r.Close()
	// The lost history's ids are forgotten.
	r, err = h.Subscribe(context.Background(), Subscription{ID: "r3", User: "r", LastEventID: "ep-5-0"})
	if err != nil {
		t.Fatal(err)
	}
	if r.Resumed || r.Gap != format.GapUnknownEventID {
		t.Errorf("resume from a lost history: Resumed %v, Gap %q; want gap %s (no History to ask)", r.Resumed, r.Gap, format.GapUnknownEventID)
	}
	r.Close()
}

// unasked is a History the test expects the hub never to ask.
type unasked struct{ t *testing.T }

func (u unasked) Locate(_ context.Context, lastID, floor string) Location {
	u.t.Errorf("the History was asked to locate %q after %q", lastID, floor)
	return Location{Gap: format.GapUnknownEventID}
}

// TestAResumeWaitsForTheHistorysStart: an instance that has just started takes resumes before
// its History has placed it in the stream (the first Reset). Such a resume waits for that place,
// rather than end in unknown_event_id a moment before the hub could have placed it; and when
// the History stays out of reach, it ends in that gap after resumeWait.
func TestAResumeWaitsForTheHistorysStart(t *testing.T) {
	resume := func(h *Hub, last string) <-chan *Client {
		got := make(chan *Client, 1)
		go func() {
			c, err := h.Subscribe(context.Background(), Subscription{ID: last, User: "r", LastEventID: last})
			if err != nil {
				t.Errorf("resume after %s: %v", last, err)
			}
			got <- c
		}()
		return got
	}
	synctest.Test(t, func(t *testing.T) {
		h := startHub(t, Config{Epoch: "local", History: unasked{t}})
		got := resume(h, "ep-5-0")
		synctest.Wait()
		select {
		case c := <-got:
			t.Fatalf("the resume was answered before the History's start: Resumed %v, Gap %q", c.Resumed, c.Gap)
		default:
		}
		h.Reset("ep-5-0", "", nil)
		if c := <-got; !c.Resumed || c.Gap != "" {
			t.Errorf("resume after the start's own id: Resumed %v, Gap %q; want a resume, no gap", c.Resumed, c.Gap)
		} else {
			c.Close()
		}
	})
	synctest.Test(t, func(t *testing.T) {
		h := startHub(t, Config{Epoch: "local", History: unasked{t}})
		start := time.Now()
		c := <-resume(h, "ep-5-0")
		if c.Resumed || c.Gap != format.GapUnknownEventID || time.Since(start) != resumeWait {
			t.Errorf("with no start: Resumed %v, Gap %q after %v; want gap %s after %v", c.Resumed, c.Gap, time.Since(start), format.GapUnknownEventID, resumeWait)
		}
		c.Close()
	})
}

// drained waits until Run has taken in everything handed to it so far: Run picks among its
// channels at random, and a join could otherwise overtake a Reset or an event sent before it.
func drained(t *testing.T, h *Hub) {
	t.Helper()
	for empty := false; !empty; {
		if !h.query(context.Background(), func() { empty = len(h.events) == 0 }) {
			t.Fatal("the hub stopped")
		}
	}
}

// askedHistory records what the hub asks and answers every question with gap.
type askedHistory struct {
	mu    sync.Mutex
	asked []string // "<lastID> after <floor>"
	gap   format.Gap
}

func (a *askedHistory) Locate(_ context.Context, lastID, floor string) Location {
	a.mu.Lock()
	defer a.mu.Unlock()
	a.asked = append(a.asked, lastID+" after "+floor)
	return Location{Gap: a.gap}
}

// TestAResetForgetsTheIdsBeforeIt: after a Reset (the history lost, or trimmed past what this
// hub had read), no id from before it is placed by the hub alone, neither the newest it had
// dispatched nor one of the entries the ring lets go of afterwards; each goes to the History,
// with the Reset's place as the floor, and the client learns of the loss.
func TestAResetForgetsTheIdsBeforeIt(t *testing.T) {
	hist := &askedHistory{gap: format.GapReplayWindowExceeded}
	h := startHub(t, Config{Epoch: "local", ReplaySize: 4, History: hist})
	h.Reset("A-0-0", "", nil)
	for i := 1; i <= 4; i++ {
		h.Publish(fromHistory(fmt.Sprintf("A-%d-0", i), fmt.Sprintf("light.l%d", i), "on"))
	}
	h.Reset("A-100-0", format.GapReplayWindowExceeded, nil)
	drained(t, h)
	resume := func(last string) *Client {
		c, err := h.Subscribe(context.Background(), Subscription{ID: last, User: last, LastEventID: last})
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		return c
	}
	if c := resume("A-4-0"); c.Resumed || c.Gap != format.GapReplayWindowExceeded { // the newest before the Reset
		t.Errorf("resume after the newest id before the Reset: Resumed %v, Gap %q", c.Resumed, c.Gap)
	}
	h.Publish(fromHistory("A-101-0", "light.x", "on")) // the ring lets go of A-1-0, of the lost history
	drained(t, h)
	for _, last := range []string{"A-1-0", "A-2-0", "local-1"} {
		if c := resume(last); c.Resumed || c.Gap == "" {
			t.Errorf("resume after %s, from before the Reset: Resumed %v, Gap %q; want a gap", last, c.Resumed, c.Gap)
		}
	}
	if c := resume("A-101-0"); !c.Resumed || c.Gap != "" {
		t.Errorf("resume after the newest event: Resumed %v, Gap %q; want a resume", c.Resumed, c.Gap)
	}
	hist.mu.Lock()
	defer hist.mu.Unlock()
	want := []string{"A-4-0 after A-100-0", "A-1-0 after A-100-0", "A-2-0 after A-100-0"}
	if !slicesEqual(hist.asked, want) {
		t.Errorf("the History was asked %q; want %q", hist.asked, want)
	}
}
