//go:build realha

package realha

import (
	"context"
	"encoding/json"
	"net/http"
	"sync"
	"testing"

	"github.com/google/go-cmp/cmp"
	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/hatest"
)

// view is one client's picture of the home, built only from what its stream said (a snapshot,
// then state changes of either wire format), and what it heard about the link.
type view struct {
	name string

	mu       sync.Mutex
	states   map[string]map[string]any // entity → its state object
	gaps     int
	outages  int      // error ha_disconnected
	removed  []string // entities a state_changed said were removed
	complete bool     // snapshot_complete came
	ended    bool
}

// watch opens hasse's stream with snapshot=1 and query, and reads it into a view until the test
// ends.
func watch(t *testing.T, s *served, name, query, token string) *view {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", s.url+"/subscribe_events?snapshot=1&"+query, nil)
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	if resp.StatusCode != http.StatusOK {
		cancel()
		t.Fatalf("%s: %s", name, resp.Status)
	}
	v := &view{name: name, states: map[string]map[string]any{}}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer resp.Body.Close()
		for ev, err := range sse.Read(resp.Body, &sse.ReadConfig{MaxEventSize: 16 << 20}) {
			if err != nil {
				break
			}
			v.apply(ev)
		}
		v.mu.Lock()
		v.ended = true
		v.mu.Unlock()
	}()
	t.Cleanup(func() { cancel(); <-done })
	return v
}

func (v *view) apply(ev sse.Event) {
	d := data(ev)
	entity, _ := d["entity_id"].(string)
	v.mu.Lock()
	defer v.mu.Unlock()
	switch typ(ev) {
	case "gap":
		v.gaps++
	case "error":
		if d["error"] == "ha_disconnected" {
			v.outages++
		}
	case "snapshot_complete":
		v.complete = true
	case "state":
		if ev.Type == "" {
			d, _ = d["data"].(map[string]any)
		}
		v.states[entity] = d
	case "state_changed":
		var st map[string]any
		if ev.Type == "" { // envelope: data is the new state and old_state, or new_state null
			inner, _ := d["data"].(map[string]any)
			if _, removed := inner["new_state"]; !removed {
				st = inner
				delete(st, "old_state")
			}
		} else {
			st, _ = d["new_state"].(map[string]any)
		}
		if st == nil {
			delete(v.states, entity)
			v.removed = append(v.removed, entity)
			return
		}
		v.states[entity] = st
	}
}

// counts are the view's gaps and outages so far.
func (v *view) counts() (gaps, outages int) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.gaps, v.outages
}

// diff is the difference between the view and Home Assistant's states kept by keep ("" when
// equal), in the keys of each state object that fields names (all when none).
func (v *view) diff(truth []hatest.State, keep func(hatest.State) bool, fields ...string) string {
	want := map[string]map[string]any{}
	for _, st := range truth {
		if !keep(st) {
			continue
		}
		b, _ := json.Marshal(st)
		var m map[string]any
		_ = json.Unmarshal(b, &m)
		want[st.EntityID] = only(m, fields)
	}
	v.mu.Lock()
	got := make(map[string]map[string]any, len(v.states))
	for id, st := range v.states {
		got[id] = only(st, fields)
	}
	v.mu.Unlock()
	return cmp.Diff(want, got)
}

// only is m with the keys named (all of m when none).
func only(m map[string]any, keys []string) map[string]any {
	if len(keys) == 0 {
		return m
	}
	out := make(map[string]any, len(keys))
	for _, k := range keys {
		out[k] = m[k]
	}
	return out
}

// promised are the keys of a state that hasse promises a client's view ends with after a gap
// (README: "every entity that changed"; hass.SameState compares these).
var promised = []string{"entity_id", "state", "attributes"}

// all keeps every state.
func all(hatest.State) bool { return true }
