package hub

import (
	"context"
	"fmt"
	"strings"
	"testing"

	"hasse/internal/hass"
)

// streamEvent is an entry of the cluster's stream at id ms-0 of epoch ep.
func streamEvent(ms uint64, entity, state string) Entry {
	ev := stateEvent(entity, state)
	id := StreamID{MS: ms}
	ev.ID = "ep-" + id.String()
	return Entry{ID: id, Event: ev}
}

func TestParseStreamID(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want StreamID
		ok   bool
	}{
		{"1700000000000-0", StreamID{1700000000000, 0}, true},
		{"5-17", StreamID{5, 17}, true},
		{"0-0", StreamID{}, true},
		{"5", StreamID{}, false},
		{"-1", StreamID{}, false},
		{"5-x", StreamID{}, false},
		{"18446744073709551616-0", StreamID{}, false},
	} {
		got, ok := ParseStreamID(tc.in)
		if got != tc.want || ok != tc.ok {
			t.Errorf("ParseStreamID(%q) = %v, %v; want %v, %v", tc.in, got, ok, tc.want, tc.ok)
		}
		if ok && got.String() != tc.in {
			t.Errorf("ParseStreamID(%q).String() = %q", tc.in, got.String())
		}
	}
}

// TestClusterResumeFromTheRing resumes clients by stream id at every point of a small ring: each
// gets the events after its id, once, in order; ids older than the ring end in a gap (no
// History here), ids of another epoch, or newer than any, too.
func TestClusterResumeFromTheRing(t *testing.T) {
	h := startHub(t, Config{Epoch: "local", ReplaySize: 8})
	h.Follow("ep", StreamID{MS: 100}, []hass.State{state("light.a", "on")})
	w, err := h.Subscribe(context.Background(), Subscription{ID: "w", User: "w"})
	if err != nil {
		t.Fatal(err)
	}
	watcher, _ := stream(t, w)
	var all []string
	for i := range 12 {
		e := streamEvent(uint64(101+i), fmt.Sprintf("light.l%d", i), "on")
		all = append(all, e.Event.ID)
		h.Append(e)
	}
	var got []string
	for len(got) < len(all) {
		got = append(got, ids(<-watcher.flushes)...)
	}
	if !slicesEqual(got, all) {
		t.Fatalf("watcher got %v, want the stream's ids %v", got, all)
	}
	// The ring holds the last 8 (ep-105-0 … ep-112-0): ep-104-0 is the floor.
	for _, tc := range []struct {
		last   string
		replay []string
		gap    string
	}{
		{"ep-104-0", all[4:], ""},
		{"ep-108-0", all[8:], ""},
		{"ep-112-0", nil, ""},
		{"ep-108-5", all[8:], ""}, // not an id the stream gave, but a place in it all the same
		{"ep-103-0", nil, GapReplayWindowExceeded},
		{"ep-113-0", nil, GapUnknownEventID}, // ahead, and no History to ask
		{"other-105-0", nil, GapEpochChanged},
		{"local-3", nil, GapReplayWindowExceeded}, // the hub's own numbering shares the ring's sequence
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

// TestClusterMarks checks what clients hear of the stream's marks: the leader's link going down
// and up, a failover, and an epoch change, each outage closed by one gap.
func TestClusterMarks(t *testing.T) {
	h := startHub(t, Config{Epoch: "local"})
	h.Follow("ep", StreamID{}, nil)
	c, err := h.Subscribe(context.Background(), Subscription{ID: "c", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := stream(t, c)
	h.Append(Entry{ID: StreamID{MS: 1}, Mark: MarkFailover}) // the first leader: nothing was lost
	h.Append(streamEvent(2, "light.a", "on"))
	h.Append(Entry{ID: StreamID{MS: 3}, Mark: MarkLinkDown})
	h.Append(Entry{ID: StreamID{MS: 4}, Mark: MarkLinkUp})
	h.Append(streamEvent(5, "light.a", "off"))
	h.Append(Entry{ID: StreamID{MS: 6}, Mark: MarkFailover})
	h.Append(streamEvent(7, "light.a", "on"))
	h.Follow("ep2", StreamID{}, nil)                         // Redis lost its data
	h.Append(Entry{ID: StreamID{MS: 1}, Mark: MarkFailover}) // the same outage: no second gap
	e := streamEvent(2, "light.a", "off")
	e.Event.ID = "ep2-2-0"
	h.Append(e)
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
	r, err = h.Subscribe(context.Background(), Subscription{ID: "r2", User: "r", LastEventID: "ep2-0-5"})
	if err != nil {
		t.Fatal(err)
	}
	if !r.Resumed || r.Gap != GapLeaderFailover {
		t.Errorf("resume across a failover: Resumed %v, Gap %q; want a resume with gap %s", r.Resumed, r.Gap, GapLeaderFailover)
	}
	r.Close()
}
