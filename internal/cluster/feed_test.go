package cluster

import (
	"context"
	"slices"
	"strings"
	"sync"
	"testing"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/hub"
)

// TestLocalDeliveryStopsWhereAnotherLeaderWrites feeds a real hub through the feeder as an old
// leader and the reader would: the old leader delivers locally while Redis cannot be written,
// and the stream, read late, brings entries. Local delivery goes on past entries the stream held
// when it began (the reader catching up), and stops for good at the first entry newer than
// those, of another epoch, or a new start of the stream: from there another leader feeds the
// hub, and an old leader's late event would put an older state after a newer one.
func TestLocalDeliveryStopsWhereAnotherLeaderWrites(t *testing.T) {
	const epoch = "ep"
	at := func(ms uint64) StreamID { return StreamID{MS: ms} }
	for _, tc := range []struct {
		name      string
		afterLate feedItem // what the stream brings after the old leader's first local event
		stale     bool
	}{
		{"an entry the old leader wrote itself", streamEvent(epoch, at(4), "sensor.t", "19.4"), false},
		{"a newer entry", streamEvent(epoch, at(6), "sensor.t", "19.5"), true},
		{"an entry of another epoch", streamEvent("ep2", at(1), "sensor.t", "19.5"), true},
		{"a new start of the stream", feedItem{kind: feedReset, at: "ep2-0-0", reason: format.GapEpochChanged,
			states: []hass.State{{EntityID: "sensor.t", Domain: "sensor", State: "19.5", JSON: []byte(`{"entity_id":"sensor.t","state":"19.5"}`)}}}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, cl := startFeeder(t)
			ctx := t.Context()

			n.send(ctx, feedItem{kind: feedReset, at: eventID(epoch, at(1))})
			n.send(ctx, streamEvent(epoch, at(2), "sensor.t", "19.2"))
			run := &localRun{epoch: epoch, after: at(5)} // the stream held entries up to 5 as the leader lost Redis
			n.send(ctx, feedItem{kind: feedLocalOn, run: run})
			n.send(ctx, localEvent(run, 1, "sensor.t", "19.3"))
			n.send(ctx, tc.afterLate)
			n.send(ctx, localEvent(run, 2, "sensor.t", "19.0")) // the old leader's late event
			n.send(ctx, localEvent(run, 3, "input_text.sentinel", "local"))
			done := at(7) // the stream's next entry, of the new leader
			if !tc.stale {
				done = at(5) // the last the old leader wrote
			}
			n.send(ctx, streamEvent(epoch, done, "input_text.sentinel", "done"))

			var got []string
			for _, ev := range cl.until(t, "input_text.sentinel", "done") {
				if e := envelopeOf(ev); e.EntityID != "" {
					got = append(got, e.EntityID+"="+e.State)
				}
			}
			if run.stale.Load() != tc.stale {
				t.Errorf("local delivery stale = %v, want %v", run.stale.Load(), tc.stale)
			}
			late := slices.Contains(got, "sensor.t=19.0") || slices.Contains(got, "input_text.sentinel=local")
			if late == tc.stale {
				t.Errorf("the client got %s: the old leader's late events %s", strings.Join(got, " "),
					map[bool]string{true: "came after another leader's entry", false: "were dropped though no other leader wrote"}[late])
			}
			if !slices.Contains(got, "sensor.t=19.3") {
				t.Errorf("the client got %s: the local event before the stream moved is missing", strings.Join(got, " "))
			}
		})
	}
}

// TestTheLeadersOwnLateEntriesReachTheHubOnce: a write the leader took for failed stored its
// entries after all, and the reader hands them to the feeder before, after or between the same
// items of the leader's local delivery. Each item reaches the hub once, in order, and the
// leader's own entries are no sign of another leader.
func TestTheLeadersOwnLateEntriesReachTheHubOnce(t *testing.T) {
	const epoch, origin = "ep", "lead.1a2b"
	at := func(ms uint64) StreamID { return StreamID{MS: ms} }
	run := func() *localRun { return &localRun{epoch: epoch, after: at(5), origin: origin} }
	for _, tc := range []struct {
		name  string
		feed  func(run *localRun) []feedItem
		stale bool
	}{
		{"the stream after the local delivery", func(run *localRun) []feedItem {
			return []feedItem{{kind: feedLocalOn, run: run}, localEvent(run, 1, "sensor.t", "1"), localEvent(run, 2, "sensor.t", "2"),
				ownEntry(epoch, at(6), origin, 1, "sensor.t", "1"), ownEntry(epoch, at(7), origin, 2, "sensor.t", "2"),
				localEvent(run, 3, "sensor.t", "3")}
		}, false},
		{"the stream before the local delivery", func(run *localRun) []feedItem {
			return []feedItem{ownEntry(epoch, at(6), origin, 1, "sensor.t", "1"), ownEntry(epoch, at(7), origin, 2, "sensor.t", "2"),
				{kind: feedLocalOn, run: run}, localEvent(run, 1, "sensor.t", "1"), localEvent(run, 2, "sensor.t", "2"),
				localEvent(run, 3, "sensor.t", "3")}
		}, false},
		{"the two interleaved", func(run *localRun) []feedItem {
			return []feedItem{{kind: feedLocalOn, run: run}, localEvent(run, 1, "sensor.t", "1"), ownEntry(epoch, at(6), origin, 1, "sensor.t", "1"),
				ownEntry(epoch, at(7), origin, 2, "sensor.t", "2"), localEvent(run, 2, "sensor.t", "2"), localEvent(run, 3, "sensor.t", "3")}
		}, false},
		{"another session's entry", func(run *localRun) []feedItem {
			return []feedItem{{kind: feedLocalOn, run: run}, localEvent(run, 1, "sensor.t", "1"), localEvent(run, 2, "sensor.t", "2"),
				ownEntry(epoch, at(6), "other.9z", 1, "sensor.t", "3"), localEvent(run, 3, "sensor.t", "late")}
		}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			n, cl := startFeeder(t)
			ctx := t.Context()
			n.send(ctx, feedItem{kind: feedReset, at: eventID(epoch, at(1))})
			r := run()
			for _, f := range tc.feed(r) {
				n.send(ctx, f)
			}
			sentinel := localEvent(r, 4, "input_text.sentinel", "done") // it would end the run otherwise
			if tc.stale {
				sentinel = ownEntry(epoch, at(9), "other.9z", 2, "input_text.sentinel", "done")
			}
			n.send(ctx, sentinel)
			var got []string
			for _, ev := range cl.until(t, "input_text.sentinel", "done") {
				if e := envelopeOf(ev); e.EntityID == "sensor.t" {
					got = append(got, e.State)
				}
			}
			if want := []string{"1", "2", "3"}; !slices.Equal(got, want) {
				t.Errorf("sensor.t went %v; want %v, each once", got, want)
			}
			if r.stale.Load() != tc.stale {
				t.Errorf("local delivery stale = %v, want %v", r.stale.Load(), tc.stale)
			}
		})
	}
}

// startFeeder runs a real hub fed by a Node's feeder until the test ends, and a client that
// takes every event of the hub.
func startFeeder(t *testing.T) (*Node, *client) {
	t.Helper()
	h, err := hub.New(hub.Config{Epoch: "local"}, testLog())
	if err != nil {
		t.Fatal(err)
	}
	n := &Node{feed: make(chan feedItem, feedBuffer)}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	wg.Go(func() { n.feedHub(ctx, h) })
	t.Cleanup(func() { cancel(); wg.Wait() })
	return n, subscribeHub(t, h)
}

// subscribeHub subscribes to every event of h and reads the client's stream.
func subscribeHub(t *testing.T, h *hub.Hub) *client {
	t.Helper()
	c, err := h.Subscribe(context.Background(), hub.Subscription{ID: "viewer", User: "viewer"})
	if err != nil {
		t.Fatal(err)
	}
	return read(t, c)
}

// streamEvent is an entry of the stream of epoch: entity's new state.
func streamEvent(epoch string, id StreamID, entity, state string) feedItem {
	ev := stateChange(entity, state)
	ev.ID = eventID(epoch, id)
	return feedItem{kind: feedEntry, epoch: epoch, entry: entry{id: id, kind: kindEvent, ev: ev}}
}

// localEvent is an event the leader of run delivers locally, its item number seq.
func localEvent(run *localRun, seq uint64, entity, state string) feedItem {
	return feedItem{kind: feedLocal, run: run, item: item{kind: itemEvent, ev: stateChange(entity, state), seq: seq}}
}

// ownEntry is the entry of epoch's stream that the session origin wrote for its item seq.
func ownEntry(epoch string, id StreamID, origin string, seq uint64, entity, state string) feedItem {
	f := streamEvent(epoch, id, entity, state)
	f.entry.origin, f.entry.item = origin, seq
	return f
}

func stateChange(entity, state string) *hass.Event {
	domain, _, _ := strings.Cut(entity, ".")
	newState := `{"entity_id":"` + entity + `","state":"` + state + `"}`
	return &hass.Event{
		Type: hass.TypeStateChanged, EntityID: entity, Domain: domain, Entities: []string{entity},
		State: state, StateChanged: true, TimeFired: "2026-12-05T09:31:40.120567+00:00",
		Data:     []byte(`{"entity_id":"` + entity + `","old_state":null,"new_state":` + newState + `}`),
		NewState: []byte(newState),
		Context:  []byte(`{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":null}`),
	}
}
