package cluster

import (
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"
	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/hub"
	"hasse/internal/testredis"
	"hasse/internal/testwait"
)

// streamEntry is an entry written to the stream by hand: an event of entity, or a mark.
type streamEntry struct {
	id     StreamID
	kind   string
	entity string
}

// writeStream makes the stream of epoch hold entries, as a leader would have written them, and
// returns a Node that reads it (its Locate is what a hub asks).
func writeStream(t *testing.T, epoch string, entries []streamEntry) (*Node, *redis.Client) {
	t.Helper()
	r := testredis.Start(t)
	n, err := New(Config{URL: r.URL(), Instance: "locate"}, testLog())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { n.rdb.Close() })
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	t.Cleanup(func() { rdb.Close() })
	ctx := context.Background()
	if err := rdb.Set(ctx, n.keys.epoch, epoch, 0).Err(); err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		values := map[string]any{"k": e.kind, "p": epoch, "v": ""}
		if e.kind == kindEvent {
			ev := &hass.Event{Type: hass.TypeStateChanged, EntityID: e.entity, Domain: "light", Data: []byte(`{"entity_id":"` + e.entity + `"}`)}
			values["v"] = encodeEvent(ev)
		}
		if err := rdb.XAdd(ctx, &redis.XAddArgs{Stream: n.keys.stream, ID: e.id.String(), Values: values}).Err(); err != nil {
			t.Fatal(err)
		}
	}
	return n, rdb
}

// startFedHub runs a hub that asks n and is fed the stream of epoch after at, as the reader
// feeds it.
func startFedHub(t *testing.T, n *Node, cfg hub.Config, epoch string, at StreamID) *hub.Hub {
	t.Helper()
	cfg.History = n
	h, err := hub.New(cfg, testLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { defer close(done); _ = h.Run(ctx) }()
	t.Cleanup(func() { cancel(); <-done })
	msgs, err := n.rdb.XRange(ctx, n.keys.stream, "("+at.String(), "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	h.Reset(eventID(epoch, at), "", nil)
	var fed []entry
	for _, m := range msgs {
		e, _, err := decodeEntry(fieldsOf(m.ID, m.Values))
		if err != nil {
			t.Fatal(err)
		}
		feedEntryTo(h, epoch, e)
		fed = append(fed, e)
	}
	awaitFed(t, h, epoch, fed)
	return h
}

// awaitFed waits until h holds the last event of what it was fed, and so everything fed before
// it: the hub takes what it is fed in order, but a client's join may overtake it, where a
// reader's hub would have had it long before.
func awaitFed(t *testing.T, h *hub.Hub, epoch string, fed []entry) {
	t.Helper()
	var last string
	for _, e := range fed {
		if e.kind == kindEvent {
			last = eventID(epoch, e.id)
		}
	}
	testwait.For(t, time.Minute, "the hub to hold what it was fed", func() bool {
		held := h.Recent(t.Context())
		return last == "" || len(held) > 0 && held[len(held)-1].Event.ID == last
	})
}

// resumeOf subscribes to h after lastID and returns the ids of the events replayed (want of
// them are waited for; any more the replay holds are read too), Resumed and Gap.
func resumeOf(t *testing.T, h *hub.Hub, lastID string, want int) (replay []string, resumed bool, gap format.Gap) {
	t.Helper()
	c, err := h.Subscribe(context.Background(), hub.Subscription{ID: lastID, User: lastID, LastEventID: lastID})
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	cl := read(t, c)
	var evs []sse.Event
	for len(evs) < want {
		ev, ok := cl.next(t)
		if !ok {
			break
		}
		evs = append(evs, ev)
	}
	cl.close() // the stream writes the whole replay before it looks at its context
	for ev := range cl.events {
		evs = append(evs, ev)
	}
	return idsOf(evs), c.Resumed, c.Gap
}

// TestLocateAroundTheRing resumes clients of a hub with a small ring by ids of the stream at
// every kind of place: each in the ring gets the events after it, once, in order; an id between
// the stream's entries resumes after the newest before it; ids the stream no longer holds, of
// another epoch, or newer than any end in gaps.
func TestLocateAroundTheRing(t *testing.T) {
	var entries []streamEntry
	var all []string
	for i := range 13 {
		entries = append(entries, streamEntry{StreamID{MS: uint64(100 + i)}, kindEvent, fmt.Sprintf("light.l%d", i)})
		if i > 0 {
			all = append(all, fmt.Sprintf("ep-%d-0", 100+i))
		}
	}
	n, rdb := writeStream(t, "ep", entries)
	h := startFedHub(t, n, hub.Config{Epoch: "local", ReplaySize: 8}, "ep", StreamID{MS: 100})
	// The stream was trimmed up to 104-0; the ring holds the last 8 (ep-105-0 … ep-112-0): ep-104-0
	// is its floor.
	if err := rdb.XTrimMinID(context.Background(), n.keys.stream, "104-0").Err(); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		last   string
		replay []string
		gap    format.Gap
	}{
		{"ep-104-0", all[4:], ""},
		{"ep-108-0", all[8:], ""},
		{"ep-112-0", nil, ""},
		{"ep-108-5", all[8:], ""}, // not an id the stream gave, but a place in it all the same
		{"ep-103-0", nil, format.GapReplayWindowExceeded},
		{"ep-113-0", nil, format.GapUnknownEventID}, // the stream never got there
		{"other-105-0", nil, format.GapEpochChanged},
		{"local-3", nil, format.GapReplayWindowExceeded}, // the hub's own numbering shares the ring's sequence
		{"x-y-z", nil, format.GapUnknownEventID},
	} {
		replay, resumed, gap := resumeOf(t, h, tc.last, len(tc.replay))
		if gap != tc.gap || resumed != (tc.gap == "") {
			t.Errorf("resume after %s: Resumed %v, Gap %q; want gap %q", tc.last, resumed, gap, tc.gap)
		}
		if diff := cmp.Diff(tc.replay, replay, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("resume after %s: replay differs (-want +got):\n%s", tc.last, diff)
		}
	}
}

// TestLocateAcrossAFailover: an id before the stream's first entry resumes from the start, and
// the failover mark it crosses is reported.
func TestLocateAcrossAFailover(t *testing.T) {
	n, _ := writeStream(t, "ep2", []streamEntry{{StreamID{MS: 1}, kindFailover, ""}, {StreamID{MS: 2}, kindEvent, "light.a"}})
	h := startFedHub(t, n, hub.Config{Epoch: "local"}, "ep2", StreamID{})
	replay, resumed, gap := resumeOf(t, h, "ep2-0-5", 1)
	if !resumed || gap != format.GapLeaderFailover || !cmp.Equal(replay, []string{"ep2-2-0"}) {
		t.Errorf("resume across a failover: Resumed %v, Gap %q, replay %v; want a resume with gap %s and ep2-2-0", resumed, gap, replay, format.GapLeaderFailover)
	}
	replay, resumed, gap = resumeOf(t, h, "ep2-1-0", 1) // the mark's own id: nothing crossed
	if !resumed || gap != "" || !cmp.Equal(replay, []string{"ep2-2-0"}) {
		t.Errorf("resume after the failover mark: Resumed %v, Gap %q, replay %v; want a resume with ep2-2-0", resumed, gap, replay)
	}
}
