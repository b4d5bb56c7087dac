package hub

import (
	"context"
	"strings"
	"testing"

	"hasse/internal/hass"
	"hasse/internal/ssetest"
)

func state(id, st string) hass.State {
	domain, _, _ := strings.Cut(id, ".")
	return hass.State{EntityID: id, Domain: domain, State: st,
		JSON: []byte(`{"entity_id":"` + id + `","state":"` + st + `","attributes":{}}`)}
}

// messages reads c's stream until it has n messages, and returns them.
func messages(t *testing.T, rec *ssetest.Recorder, n int) []string {
	t.Helper()
	var out []string
	for len(out) < n {
		chunk := <-rec.Flushes
		out = append(out, strings.Split(strings.TrimSuffix(chunk, "\n\n"), "\n\n")...)
	}
	return out
}

func TestOutageThenResync(t *testing.T) {
	h := startHub(t, Config{Epoch: "e"})
	h.Connected([]hass.State{state("light.a", "on"), state("light.b", "off"), state("lock.door", "locked")})
	c, err := h.Subscribe(context.Background(), Subscription{ID: "c", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := stream(t, c)
	h.Publish(stateEvent("light.a", "off")) // e-1
	if got := messages(t, rec, 1); !strings.HasPrefix(got[0], "id: e-1\n") {
		t.Fatalf("first message %q, want e-1", got[0])
	}

	h.Disconnected()
	if got := messages(t, rec, 1); !strings.Contains(got[0], `"type":"error","error":"ha_disconnected"`) {
		t.Errorf("after the link went down: %q, want an ha_disconnected error", got[0])
	}
	late, err := h.Subscribe(context.Background(), Subscription{ID: "late", User: "u", Format: 1})
	if err != nil {
		t.Fatal(err)
	}
	lateRec, _ := stream(t, late)
	if got := messages(t, lateRec, 1); !strings.HasPrefix(got[0], "event: error\n") || !strings.Contains(got[0], `"error":"ha_disconnected"`) {
		t.Errorf("a client joining during the outage got %q, want the ha_disconnected error", got[0])
	}

	// Meanwhile light.a went back on, light.b is unchanged, lock.door went away, cover.c came.
	h.Connected([]hass.State{state("light.a", "on"), state("light.b", "off"), state("cover.c", "open")})
	got := messages(t, rec, 4)
	want := []string{
		`"type":"gap","reason":"ha_reconnected","since":"e-1"`,
		`id: e-2` + "\n" + `data: {"id":"e-2","type":"state_changed","origin":"resync","entity_id":"cover.c"`,
		`id: e-3` + "\n" + `data: {"id":"e-3","type":"state_changed","origin":"resync","entity_id":"light.a"`,
		`id: e-4` + "\n" + `data: {"id":"e-4","type":"state_changed","origin":"resync","entity_id":"lock.door"`,
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("message %d after reconnecting: %q, want it to contain %q", i, got[i], want[i])
		}
	}
	if !strings.Contains(got[3], `"state":null`) {
		t.Errorf("lock.door's resync %q, want state null: it disappeared", got[3])
	}
	if got := messages(t, lateRec, 4); !strings.Contains(got[0], "event: gap") || !strings.Contains(got[1], `"origin":"resync"`) {
		t.Errorf("late named client after reconnecting: %q", got)
	}

	// The snapshot now says what Home Assistant says.
	snap, err := h.Subscribe(context.Background(), Subscription{ID: "s", User: "u", Snapshot: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"entity_id":"cover.c"`, `"entity_id":"light.a","domain":"light","state":"on"`, `"count":3`} {
		if !strings.Contains(snapshotText(snap), want) {
			t.Errorf("snapshot after resync %s lacks %s", snapshotText(snap), want)
		}
	}
	if strings.Contains(snapshotText(snap), "lock.door") {
		t.Errorf("snapshot after resync %s still has lock.door", snapshotText(snap))
	}
}

func TestReconnectWithoutStatesStillSaysGap(t *testing.T) {
	h := startHub(t, Config{Epoch: "e"})
	h.Connected(nil)
	c, err := h.Subscribe(context.Background(), Subscription{ID: "c", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := stream(t, c)
	h.Disconnected()
	h.Connected(nil)
	got := messages(t, rec, 2)
	if !strings.Contains(got[0], "ha_disconnected") || !strings.Contains(got[1], `"type":"gap","reason":"ha_reconnected","since":null`) {
		t.Errorf("outage without states: %q, want ha_disconnected then a gap since null", got)
	}
}

// TestEventsOfANewConnectionComeAfterTheGap: the new connection's events can reach the hub before
// its states do; the gap still comes first, and clients joining then are not told of an outage.
func TestEventsOfANewConnectionComeAfterTheGap(t *testing.T) {
	h := startHub(t, Config{Epoch: "e"})
	h.Connected([]hass.State{state("light.a", "on")})
	c, err := h.Subscribe(context.Background(), Subscription{ID: "c", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := stream(t, c)
	h.Disconnected()
	h.Publish(stateEvent("light.b", "on")) // the new connection's first event, before its states
	got := messages(t, rec, 3)
	if !strings.Contains(got[0], "ha_disconnected") || !strings.Contains(got[1], `"reason":"ha_reconnected"`) || !strings.Contains(got[2], `"entity_id":"light.b"`) {
		t.Errorf("got %q, want ha_disconnected, the gap, then the event", got)
	}
	late, err := h.Subscribe(context.Background(), Subscription{ID: "late", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	lateRec, _ := stream(t, late)
	h.Connected([]hass.State{state("light.a", "off")}) // the states: light.a changed meanwhile
	if got := messages(t, lateRec, 1); strings.Contains(got[0], "ha_disconnected") || !strings.Contains(got[0], `"origin":"resync"`) {
		t.Errorf("a client joining after events flowed again got %q first, want light.a's resync", got[0])
	}
	if got := messages(t, rec, 1); strings.Contains(got[0], "gap") || !strings.Contains(got[0], `"entity_id":"light.a"`) {
		t.Errorf("after the states: %q, want light.a's resync and no second gap", got[0])
	}
}

// TestOutageBeforeTheStatesCame: a connection whose events flowed before its states came (Home
// Assistant was starting) goes down again: that is a second outage, announced and closed by a
// gap of its own, and the resync, when states come at last, is against what clients were told.
func TestOutageBeforeTheStatesCame(t *testing.T) {
	h := startHub(t, Config{Epoch: "e"})
	h.Connected([]hass.State{state("light.a", "on"), state("light.b", "off")})
	c, err := h.Subscribe(context.Background(), Subscription{ID: "c", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	rec, _ := stream(t, c)
	h.Disconnected()
	h.Publish(stateEvent("light.b", "on")) // e-1: the starting connection's events flow
	h.Disconnected()                       // and it is lost before its states came
	h.Disconnected()                       // a connection that never came up: the same outage
	h.Publish(stateEvent("light.c", "on")) // e-2
	b, _ := hass.StateOf(stateEvent("light.b", "on"))
	cc, _ := hass.StateOf(stateEvent("light.c", "on"))
	h.Connected([]hass.State{state("light.a", "on"), b, cc, state("light.d", "off")})
	got := messages(t, rec, 7)
	want := []string{
		`"error":"ha_disconnected"`,
		`"reason":"ha_reconnected","since":null`,
		`"id":"e-1"`,
		`"error":"ha_disconnected"`,
		`"reason":"ha_reconnected","since":"e-1"`,
		`"id":"e-2"`,
		`"id":"e-3","type":"state_changed","origin":"resync","entity_id":"light.d"`,
	}
	for i := range want {
		if !strings.Contains(got[i], want[i]) {
			t.Errorf("message %d: %q, want it to contain %q", i, got[i], want[i])
		}
	}
}
