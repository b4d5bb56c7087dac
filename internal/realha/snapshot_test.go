//go:build realha

package realha

import (
	"context"
	"encoding/json"
	"net/http"
	"path"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/hatest"
)

// snapshot reads the snapshot of hasse's stream with query: entity → state object, in the
// order they came, and closes the stream.
func snapshot(t *testing.T, s *served, query, token string) map[string]map[string]any {
	t.Helper()
	ctx, cancel := context.WithCancel(t.Context())
	defer cancel()
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/subscribe_events?snapshot=1&"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("snapshot %q: %s", query, resp.Status)
	}
	states := map[string]map[string]any{}
	for ev, err := range sse.Read(resp.Body, &sse.ReadConfig{MaxEventSize: 16 << 20}) {
		if err != nil {
			t.Fatalf("snapshot %q: %v", query, err)
		}
		d := data(ev)
		switch typ(ev) {
		case "state":
			st := d
			if ev.Type == "" { // envelope: {"type":"state","entity_id",…,"data":<state>}
				st, _ = d["data"].(map[string]any)
			}
			id, _ := st["entity_id"].(string)
			if _, dup := states[id]; dup {
				t.Errorf("snapshot %q: %s twice", query, id)
			}
			states[id] = st
		case "snapshot_complete":
			if n, _ := d["count"].(float64); int(n) != len(states) {
				t.Errorf("snapshot %q: snapshot_complete count %v, %d states sent", query, d["count"], len(states))
			}
			return states
		}
	}
	t.Fatalf("snapshot %q: the stream ended before snapshot_complete", query)
	return nil
}

// areasOf is every registered entity's area as Home Assistant's registries say: its own, else its
// device's.
func areasOf(t *testing.T, h *hatest.Home) map[string]string {
	t.Helper()
	var entities []struct {
		EntityID string `json:"entity_id"`
		AreaID   string `json:"area_id"`
		DeviceID string `json:"device_id"`
	}
	var devices []struct {
		ID     string `json:"id"`
		AreaID string `json:"area_id"`
	}
	ctx := t.Context()
	if err := h.Command(ctx, h.Owner.Token, map[string]any{"type": "config/entity_registry/list"}, &entities); err != nil {
		t.Fatal(err)
	}
	if err := h.Command(ctx, h.Owner.Token, map[string]any{"type": "config/device_registry/list"}, &devices); err != nil {
		t.Fatal(err)
	}
	deviceArea := map[string]string{}
	for _, d := range devices {
		deviceArea[d.ID] = d.AreaID
	}
	areas := map[string]string{}
	for _, e := range entities {
		areas[e.EntityID] = cmpOr(e.AreaID, deviceArea[e.DeviceID])
	}
	return areas
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// quietStates reads Home Assistant's states before and after read, and returns them and read's
// result once nothing changed meanwhile (the heartbeat automation changes a few entities every
// 5 s), failing the test after 20 tries.
func quietStates[T any](t *testing.T, h *hatest.Home, read func() T) ([]hatest.State, T) {
	t.Helper()
	for range 20 {
		before, err := h.States(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		got := read()
		after, err := h.States(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if cmp.Equal(before, after) {
			return before, got
		}
	}
	t.Fatal("Home Assistant's states changed during each of 20 reads")
	panic("unreachable")
}

// asMaps turns Home Assistant's states into the objects hasse sends, by entity.
func asMaps(t *testing.T, states []hatest.State, keep func(hatest.State) bool) map[string]map[string]any {
	t.Helper()
	out := map[string]map[string]any{}
	for _, st := range states {
		if !keep(st) {
			continue
		}
		b, _ := json.Marshal(st)
		var m map[string]any
		if err := json.Unmarshal(b, &m); err != nil {
			t.Fatal(err)
		}
		out[st.EntityID] = m
	}
	return out
}

// snapshot=1 is Home Assistant's own GET /api/states, for the same filter: the same entities
// and, state object by state object, the same JSON.
func TestSnapshotIsHomeAssistantsStates(t *testing.T) {
	s := serve(t, home)
	s.waitConnected(t, 30*time.Second)
	areas := areasOf(t, home)
	domain := func(id string) string { d, _, _ := strings.Cut(id, "."); return d }
	cases := []struct {
		query string
		keep  func(hatest.State) bool
	}{
		{"events=state_changed", func(hatest.State) bool { return true }},
		{"format=named", func(hatest.State) bool { return true }},
		{"domain=light,switch", func(st hatest.State) bool { return slices.Contains([]string{"light", "switch"}, domain(st.EntityID)) }},
		{"entity_id=sensor.*_temperature", func(st hatest.State) bool {
			ok, _ := path.Match("sensor.*_temperature", st.EntityID)
			return ok
		}},
		{"area=kitchen", func(st hatest.State) bool { return areas[st.EntityID] == "kitchen" }},
		{"area=Living%20Room&format=named", func(st hatest.State) bool { return areas[st.EntityID] == "living_room" }},
		{"area=garden", func(st hatest.State) bool { return areas[st.EntityID] == "garden" }}, // by the sun's device
		{"device_class=temperature", func(st hatest.State) bool { return st.Attributes["device_class"] == "temperature" }},
	}
	for _, c := range cases {
		t.Run(c.query, func(t *testing.T) {
			states, got := quietStates(t, home, func() map[string]map[string]any {
				return snapshot(t, s, c.query, home.Owner.Token)
			})
			want := asMaps(t, states, c.keep)
			if len(want) == 0 {
				t.Fatalf("the home has no entity for %q: a test that cannot fail", c.query)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("snapshot differs from GET /api/states (-HA +hasse):\n%s", diff)
			}
		})
	}
}
