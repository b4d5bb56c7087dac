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
			h, err := hub.New(hub.Config{Epoch: "local"}, testLog())
			if err != nil {
				t.Fatal(err)
			}
			n := &Node{feed: make(chan feedItem, feedBuffer)}
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			wg.Go(func() { _ = h.Run(ctx) })
			wg.Go(func() { n.feedHub(ctx, h) })
			defer func() { cancel(); wg.Wait() }()
			cl := subscribeHub(t, h)

			n.send(ctx, feedItem{kind: feedReset, at: eventID(epoch, at(1))})
			n.send(ctx, streamEvent(epoch, at(2), "sensor.t", "19.2"))
			run := &localRun{epoch: epoch, after: at(5)} // the stream held entries up to 5 as the leader lost Redis
			n.send(ctx, feedItem{kind: feedLocalOn, run: run})
			n.send(ctx, localEvent(run, "sensor.t", "19.3"))
			n.send(ctx, tc.afterLate)
			n.send(ctx, localEvent(run, "sensor.t", "19.0")) // the old leader's late event
			n.send(ctx, localEvent(run, "input_text.sentinel", "local"))
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

// localEvent is an event the leader of run delivers locally.
func localEvent(run *localRun, entity, state string) feedItem {
	return feedItem{kind: feedLocal, run: run, item: item{kind: itemEvent, ev: stateChange(entity, state)}}
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
