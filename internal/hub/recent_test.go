package hub

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"testing/synctest"

	"hasse/internal/hass"
)

// TestRecentIsTheRingOldestFirst publishes more events than the ring holds and checks that Recent
// returns the newest ones, oldest first, before and after the ring wraps.
func TestRecentIsTheRingOldestFirst(t *testing.T) {
	for _, tc := range []struct {
		name       string
		size       int
		published  int
		wantFirst  int // sequence of the oldest event returned; 0: none
		wantLength int
	}{
		{"empty", 4, 0, 0, 0},
		{"not full", 4, 3, 1, 3},
		{"full", 4, 4, 1, 4},
		{"wrapped", 4, 10, 7, 4},
		{"no replay", -1, 5, 0, 0},
	} {
		h := startHub(t, Config{Epoch: "ep", ReplaySize: tc.size})
		w, err := h.Subscribe(context.Background(), Subscription{ID: "watcher", User: "w"})
		if err != nil {
			t.Fatal(err)
		}
		watcher, _ := stream(t, w)
		seen := 0
		for i := range tc.published {
			publishAndWait(t, h, watcher, &seen, stateEvent(fmt.Sprintf("light.l%d", i+1), "on"))
		}
		var got, want []string
		for _, fr := range h.Recent(context.Background()) {
			got = append(got, fr.Event.ID)
		}
		for i := range tc.wantLength {
			want = append(want, fmt.Sprintf("ep-%d", tc.wantFirst+i))
		}
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Errorf("%s: Recent = %v, want %v", tc.name, got, want)
		}
	}
}

// TestStateFollowsEvents checks that State answers the state the last event left an entity in,
// and nothing once the entity is removed.
func TestStateFollowsEvents(t *testing.T) {
	h := startHub(t, Config{})
	w, err := h.Subscribe(context.Background(), Subscription{ID: "watcher", User: "w"})
	if err != nil {
		t.Fatal(err)
	}
	watcher, _ := stream(t, w)
	seen := 0
	ctx := context.Background()
	if _, ok := h.State(ctx, "light.hall"); ok {
		t.Error("State of an entity never seen: found")
	}
	h.Connected([]hass.State{{EntityID: "light.hall", Domain: "light", State: "off", JSON: []byte(`{"entity_id":"light.hall","state":"off"}`)}})
	publishAndWait(t, h, watcher, &seen, stateEvent("switch.fan", "on")) // after the states, in order
	if st, ok := h.State(ctx, "light.hall"); !ok || st.State != "off" {
		t.Errorf("State after Connected = %+v, %v; want off", st, ok)
	}
	publishAndWait(t, h, watcher, &seen, stateEvent("light.hall", "on"))
	if st, ok := h.State(ctx, "light.hall"); !ok || st.State != "on" || string(st.JSON) != `{"entity_id":"light.hall","state":"on"}` {
		t.Errorf("State after a state_changed = %+v, %v; want on with its new state", st, ok)
	}
	removal := stateEvent("light.hall", "")
	removal.NewState = nil
	publishAndWait(t, h, watcher, &seen, removal)
	if st, ok := h.State(ctx, "light.hall"); ok {
		t.Errorf("State after removal = %+v, want none", st)
	}
}

// TestQueriesOfAStoppedHub checks that Recent and State return at once when the hub has stopped.
func TestQueriesOfAStoppedHub(t *testing.T) {
	h, err := New(Config{}, discardLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	_ = h.Run(ctx)
	if got := h.Recent(context.Background()); got != nil {
		t.Errorf("Recent of a stopped hub = %v, want nil", got)
	}
	if _, ok := h.State(context.Background(), "light.hall"); ok {
		t.Error("State of a stopped hub: found")
	}
}

// TestReplayWindowBoundedInBytes: events with huge data (the review's 150 service calls with a
// 1 MB value, or a home's huge attributes) keep the replay window within Config.ReplayBytes; a
// resume from before what it holds gets a gap.
func TestReplayWindowBoundedInBytes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		const bound = 16 << 20
		h := startHub(t, Config{ReplayBytes: bound})
		huge := strings.Repeat("x", 1<<20)
		for i := range 150 {
			ev := stateEvent("lock.front_door", "locked")
			ev.Data = []byte(`{"entity_id":"lock.front_door","new_state":{"state":"locked","attributes":{"note":"` + huge + fmt.Sprint(i) + `"}}}`)
			h.Publish(ev)
		}
		synctest.Wait()
		held, total := h.Recent(context.Background()), 0
		for _, fr := range held {
			total += fr.Size()
		}
		if total > bound || len(held) == 0 || len(held) >= 150 {
			t.Errorf("replay window holds %d events in %d bytes; want the newest within %d bytes", len(held), total, bound)
		}
	})
}
