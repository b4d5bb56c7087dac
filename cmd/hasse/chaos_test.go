package main

import (
	"context"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/gateway"
	"hasse/internal/gateway/gatewaytest"
	"hasse/internal/hass"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// chaosView is one client's picture of the home, built only from what its stream said.
type chaosView struct {
	name    string
	mu      sync.Mutex
	states  map[string]map[string]any // entity → {"state", "attributes"}
	gaps    int
	outages int // ha_disconnected errors
	order   []string
	reasons []string // of the gaps, in order
}

func (v *chaosView) set(entity string, state json.RawMessage) {
	var st struct {
		State      string         `json:"state"`
		Attributes map[string]any `json:"attributes"`
	}
	if len(state) == 0 || string(state) == "null" {
		delete(v.states, entity)
		return
	}
	if err := json.Unmarshal(state, &st); err == nil {
		v.states[entity] = map[string]any{"state": st.State, "attributes": st.Attributes}
	}
}

// apply reads one SSE event of either wire format into the view.
func (v *chaosView) apply(ev sse.Event) {
	v.mu.Lock()
	defer v.mu.Unlock()
	var m map[string]json.RawMessage
	if json.Unmarshal([]byte(ev.Data), &m) != nil {
		return
	}
	var typ string
	_ = json.Unmarshal(m["type"], &typ)
	if ev.Type != "" { // named
		typ = ev.Type
	}
	var entity string
	_ = json.Unmarshal(m["entity_id"], &entity)
	switch typ {
	case "gap":
		var reason string
		_ = json.Unmarshal(m["reason"], &reason)
		v.gaps++
		v.order = append(v.order, "gap")
		v.reasons = append(v.reasons, reason)
	case "error":
		v.outages++
		v.order = append(v.order, "down")
	case "state": // snapshot: envelope {"data":<state>}, named the state itself
		if ev.Type == "" {
			v.set(entity, m["data"])
		} else {
			v.set(entity, json.RawMessage(ev.Data))
		}
	case "state_changed":
		if ev.Type == "" { // envelope: data is the new state plus old_state, or new_state null
			var data map[string]json.RawMessage
			_ = json.Unmarshal(m["data"], &data)
			if string(data["new_state"]) == "null" {
				v.set(entity, nil)
				return
			}
			delete(data, "old_state")
			b, _ := json.Marshal(data)
			v.set(entity, b)
		} else {
			v.set(entity, m["new_state"])
		}
	}
}

// TestChaosEveryViewEndsTrue drops the gateway's link to the simulated Home Assistant 20 times
// at random moments while the home is busy (some drops right after a reconnect, during the
// resync; some with the home restarted meanwhile), with three clients attached: envelope,
// named, and one filtered by domain. At the end each client's view of every entity it follows
// equals the simulator's truth, and each outage it saw was announced and closed with one gap.
func TestChaosEveryViewEndsTrue(t *testing.T) {
	seed := time.Now().UnixNano()
	rng := rand.New(rand.NewPCG(uint64(seed), 1))
	t.Logf("seed %d", seed)
	sim := simtest.Start(t, simulator.Config{Token: "chaos", Seed: seed, Rate: -1})
	g := startGateway(t, "demo", nil, sim.URL, "chaos")
	gctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // the streams end with gctx; the gateway and the home when the test does

	views := []*chaosView{{name: "envelope"}, {name: "named"}, {name: "lights"}}
	queries := []string{"?snapshot=1", "?snapshot=1&format=named", "?snapshot=1&domain=light"}
	for i, v := range views {
		v.states = map[string]map[string]any{}
		follow(gctx, t, &wg, g.URL()+"/subscribe_events"+queries[i], v.apply)
	}

	// The busy home: activity steps until the drops are over.
	busy, stop := context.WithCancel(gctx)
	var stepping sync.WaitGroup
	defer func() { stop(); stepping.Wait() }()
	stepping.Go(func() {
		for busy.Err() == nil {
			sim.Step()
			time.Sleep(2 * time.Millisecond) // a pace for the home, not a timing assertion
		}
	})
	for i := range 20 {
		gatewaytest.Ready(t, g.URL())
		time.Sleep(time.Duration(rng.IntN(300)) * time.Millisecond) // sometimes during the resync
		if i%5 == 4 {
			sim.Restart() // the home changes while the gateway cannot see it
		} else {
			sim.DropConnections()
		}
	}
	stop()
	stepping.Wait() // its last step is taken: the truth below is final
	gatewaytest.Ready(t, g.URL())

	truth := homeTruth(sim.Simulator)
	follows := []func(string) bool{
		func(string) bool { return true }, func(string) bool { return true },
		func(e string) bool { return strings.HasPrefix(e, "light.") },
	}
	for i, v := range views {
		want := map[string]map[string]any{}
		for e, st := range truth {
			if follows[i](e) {
				want[e] = st
			}
		}
		v.waitTrue(t, want)
		v.mu.Lock()
		gaps, outages, order := v.gaps, v.outages, strings.Join(v.order, " ")
		v.mu.Unlock()
		if outages == 0 || gaps != outages || strings.Contains(order, "gap gap") || strings.Contains(order, "down down") {
			t.Errorf("%s client: %d outages announced, %d gaps, in order %q; want each outage announced once and closed by one gap", v.name, outages, gaps, order)
		}
	}
}

// homeTruth is the simulator's state as a client's view holds it.
func homeTruth(sim *simulator.Simulator) map[string]map[string]any {
	truth := map[string]map[string]any{}
	san := hass.NewSanitizer([]string{"access_token", "token", "password", "api_key"})
	v := &chaosView{states: truth}
	for _, st := range sim.States() {
		b, _ := json.Marshal(st)
		b, _ = san.State(b)
		v.set(st.EntityID, b)
	}
	return truth
}

// waitTrue waits until the view holds want, failing the test with the difference after 20 s.
func (v *chaosView) waitTrue(t *testing.T, want map[string]map[string]any) {
	t.Helper()
	var diff string
	deadline := time.Now().Add(20 * time.Second)
	for {
		v.mu.Lock()
		diff = cmp.Diff(want, v.states)
		v.mu.Unlock()
		if diff == "" {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s client's view differs from the truth (-truth +view):\n%s", v.name, diff)
		}
		time.Sleep(20 * time.Millisecond) // streams are catching up; wait for them, not a timing assertion
	}
}

// follow opens the stream at url and hands each of its events to apply, on a goroutine of wg,
// until the stream or ctx ends.
func follow(ctx context.Context, t *testing.T, wg *sync.WaitGroup, url string, apply func(sse.Event)) {
	t.Helper()
	req, _ := http.NewRequestWithContext(ctx, "GET", url, nil)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	wg.Go(func() {
		defer resp.Body.Close()
		for ev, err := range sse.Read(resp.Body, &sse.ReadConfig{MaxEventSize: 1 << 20}) {
			if err != nil {
				return
			}
			apply(ev)
		}
	})
}

// startGateway runs hasse's gateway, as command cmd (demo or serve) with environment environ
// set up, auth none and no rate limit, on Home Assistant at haURL with token, until the test
// ends, and waits until it is ready.
func startGateway(t *testing.T, cmd string, environ []string, haURL, token string) *gateway.Gateway {
	t.Helper()
	environ = append([]string{"MCP_HTTP_ADDR=127.0.0.1:0", "MCP_SSE_AUTH=none", "MCP_RATE_LIMIT_ENABLED=false",
		"HA_URL=" + haURL, "HA_TOKEN=" + token}, environ...)
	s, err := loadSettings(cmd, nil, environ, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	g := gatewaytest.Start(t, s.gateway(haURL, token, nil))
	gatewaytest.Ready(t, g.URL())
	return g
}
