package hub

import (
	"context"
	"encoding/json"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/ssetest"
	"hasse/internal/writer"
)

// view is a client's picture of the home: entity → state, built from a snapshot and the
// state_changed events after it.
type view map[string]string

// readView reads c's stream until it has seen snapshot_complete and the event with id lastID,
// applying everything to a view. The event lastID must have been published after Subscribe
// returned c: an earlier one may be in c's snapshot only, and never come on its stream.
func readView(t *testing.T, rec *ssetest.Recorder, lastID string) view {
	t.Helper()
	v := view{}
	complete := false
	for done := false; !done; {
		chunk := <-rec.Flushes
		for msg := range strings.SplitSeq(strings.TrimSuffix(chunk, "\n\n"), "\n\n") {
			var id, data string
			for line := range strings.SplitSeq(msg, "\n") {
				if rest, ok := strings.CutPrefix(line, "id: "); ok {
					id = rest
				}
				if rest, ok := strings.CutPrefix(line, "data: "); ok {
					data = rest
				}
			}
			var m struct {
				Type     string
				EntityID string `json:"entity_id"`
				State    string
			}
			if err := json.Unmarshal([]byte(data), &m); err != nil {
				t.Fatalf("message %q: %v", msg, err)
			}
			switch m.Type {
			case "state", "state_changed":
				if m.Type == "state" && complete {
					t.Errorf("snapshot state of %s after snapshot_complete", m.EntityID)
				}
				if m.Type == "state_changed" && !complete {
					t.Errorf("event %s before snapshot_complete", id)
				}
				if want, ok := nextRound(v[m.EntityID]); ok && m.Type == "state_changed" && m.State != want {
					t.Errorf("event %s takes %s from %s to %s, not %s: a hole", id, m.EntityID, v[m.EntityID], m.State, want)
				}
				v[m.EntityID] = m.State
			case "snapshot_complete":
				complete = true
			}
			done = done || id == lastID
		}
	}
	return v
}

// nextRound returns the state that follows had, the state of round N ("sN"): that of round N+1.
// ok is false for a state of no round.
func nextRound(had string) (next string, ok bool) {
	digits, ok := strings.CutPrefix(had, "s")
	n, err := strconv.Atoi(digits)
	if !ok || err != nil {
		return "", false
	}
	return "s" + strconv.Itoa(n+1), true
}

// TestSnapshotThenLiveHasNoHole subscribes clients with snapshot=1 while events flow and checks
// that each client's snapshot plus the live events after it add up to the final truth, and that
// every event after the snapshot takes its entity one round on from the state the client had.
func TestSnapshotThenLiveHasNoHole(t *testing.T) {
	h := startHub(t, Config{Epoch: "e", MaxClients: 100, MaxClientsPerUser: 100})
	const entities, rounds = 10, 60
	var initial []hass.State
	for i := range entities {
		id := fmt.Sprintf("light.l%d", i)
		initial = append(initial, hass.State{EntityID: id, Domain: "light", State: "s0", JSON: []byte(`{"entity_id":"` + id + `","state":"s0"}`)})
	}
	h.Connected(initial)
	truth := view{}
	for _, st := range initial {
		truth[st.EntityID] = st.State
	}

	lights := mustFilter(t, "domain=light")
	var wg sync.WaitGroup
	var clients []*Client
	var mu sync.Mutex
	wg.Go(func() {
		for r := 1; r <= rounds; r++ {
			for i := range entities {
				h.Publish(stateEvent(fmt.Sprintf("light.l%d", i), fmt.Sprintf("s%d", r)))
			}
		}
	})
	for k := range 20 {
		wg.Go(func() {
			c, err := h.Subscribe(context.Background(), Subscription{ID: fmt.Sprint(k), User: "u", Snapshot: true, Format: format.Kind(k % 2), Filter: lights})
			if err != nil {
				t.Error(err)
				return
			}
			mu.Lock()
			clients = append(clients, c)
			mu.Unlock()
		})
	}
	wg.Wait()
	for i := range entities {
		truth[fmt.Sprintf("light.l%d", i)] = fmt.Sprintf("s%d", rounds)
	}
	// A client may have joined after the last round was dispatched: its snapshot holds it all and
	// its stream no event of the rounds. One more event, published once every Subscribe has
	// returned, reaches every client and closes its stream.
	h.Publish(stateEvent("light.end", "closed"))
	truth["light.end"] = "closed"
	last := fmt.Sprintf("e-%d", rounds*entities+1)
	// One more client joins after everything was dispatched: its snapshot alone is the truth,
	// and the one event after it closes its stream.
	w, err := h.Subscribe(context.Background(), Subscription{ID: "w", User: "w", Filter: mustFilter(t, "domain=sun")})
	if err != nil {
		t.Fatal(err)
	}
	watcher, _ := stream(t, w)
	seen := 0
	publishAndWait(t, h, watcher, &seen, stateEvent("sun.sun", "up"))
	late, err := h.Subscribe(context.Background(), Subscription{ID: "late", User: "u", Snapshot: true, Filter: mustFilter(t, "domain=light,sun")})
	if err != nil {
		t.Fatal(err)
	}
	publishAndWait(t, h, watcher, &seen, stateEvent("sun.sun", "down"))
	lateTruth := view{"sun.sun": "down"}
	for k, v := range truth {
		lateTruth[k] = v
	}
	lateRec, _ := stream(t, late)
	if got := readView(t, lateRec, fmt.Sprintf("e-%d", rounds*entities+3)); fmt.Sprint(got) != fmt.Sprint(lateTruth) {
		t.Errorf("late client ends with %v, want %v", got, lateTruth)
	}
	for _, c := range clients {
		if c.Format == format.Named {
			continue // readView reads the envelope's flat keys; the named snapshot is checked below
		}
		rec, _ := stream(t, c)
		if got := readView(t, rec, last); fmt.Sprint(got) != fmt.Sprint(truth) {
			t.Errorf("client %s ends with %v, want %v", c.ID, got, truth)
		}
	}
}

func TestSnapshotFiltersAndFormats(t *testing.T) {
	h := startHub(t, Config{Epoch: "e"})
	h.Connected([]hass.State{
		{EntityID: "light.b", Domain: "light", State: "on", JSON: []byte(`{"entity_id":"light.b","state":"on"}`)},
		{EntityID: "light.a", Domain: "light", State: "off", JSON: []byte(`{"entity_id":"light.a","state":"off"}`)},
		{EntityID: "binary_sensor.door", Domain: "binary_sensor", State: "on", DeviceClass: "door", JSON: []byte(`{"entity_id":"binary_sensor.door","state":"on"}`)},
	})
	// Once an event published after the states has reached a watcher, the hub holds the states.
	w, err := h.Subscribe(context.Background(), Subscription{ID: "w", User: "w", Filter: mustFilter(t, "domain=sun")})
	if err != nil {
		t.Fatal(err)
	}
	watcher, _ := stream(t, w)
	seen := 0
	publishAndWait(t, h, watcher, &seen, stateEvent("sun.sun", "above_horizon"))
	for _, tc := range []struct {
		query  string
		format format.Kind
		want   string
	}{
		{"domain=light", format.Envelope,
			`data: {"type":"state","entity_id":"light.a","domain":"light","state":"off","data":{"entity_id":"light.a","state":"off"}}` + "\n\n" +
				`data: {"type":"state","entity_id":"light.b","domain":"light","state":"on","data":{"entity_id":"light.b","state":"on"}}` + "\n\n" +
				`data: {"type":"snapshot_complete","count":2}` + "\n\n"},
		{"device_class=door", format.Named,
			"event: state\ndata: {\"entity_id\":\"binary_sensor.door\",\"state\":\"on\"}\n\n" +
				"event: snapshot_complete\ndata: {\"count\":1}\n\n"},
		{"events=call_service", format.Envelope, `data: {"type":"snapshot_complete","count":0}` + "\n\n"},
	} {
		c, err := h.Subscribe(context.Background(), Subscription{ID: tc.query, User: tc.query, Filter: mustFilter(t, tc.query), Format: tc.format, Snapshot: true})
		if err != nil {
			t.Fatal(err)
		}
		if got := snapshotText(c); got != tc.want {
			t.Errorf("snapshot for %q:\n%s\nwant:\n%s", tc.query, got, tc.want)
		}
		c.Close()
	}
	// A successful resume skips the snapshot; one that ends in a gap sends it.
	resumed, _ := h.Subscribe(context.Background(), Subscription{ID: "r", User: "r", Snapshot: true, LastEventID: "e-1"})
	gap, _ := h.Subscribe(context.Background(), Subscription{ID: "g", User: "g", Snapshot: true, LastEventID: "zz-9"})
	if !resumed.Resumed || resumed.snapshot != nil || gap.Gap == "" || !strings.Contains(snapshotText(gap), "snapshot_complete") {
		t.Errorf("resumed client: Resumed %v, snapshot %v; gap client: Gap %q, snapshot %q", resumed.Resumed, resumed.snapshot, gap.Gap, snapshotText(gap))
	}
}

// snapshotText is the snapshot owed to c as its writer will encode it.
func snapshotText(c *Client) string {
	if c.snapshot == nil {
		return ""
	}
	return string(writer.AppendSnapshot(nil, c.Format, slices.Clone(c.snapshot)))
}
