package main

import (
	"context"
	"encoding/json"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
	"hasse/internal/testredis"
	"hasse/internal/testwait"
)

// TestRestartWhileStarting restarts the simulated Home Assistant as a real one restarts
// (HA-PROTOCOL.md §19): the gateway reconnects while it is NOT_RUNNING, with most entities
// missing from get_states; then HA starts (placeholders with restored: true, integrations
// loading) and reaches RUNNING. Every client gets one outage and one gap, no entity that exists
// before and after the restart is ever reported removed, and every view ends with the truth. It
// runs with one instance and with Redis (whose leader has its own copy of the resync).
func TestRestartWhileStarting(t *testing.T) {
	for _, mode := range []string{"single", "redis"} {
		t.Run(mode, func(t *testing.T) {
			var env []string
			if mode == "redis" {
				env = append(env, "MCP_REDIS_URL="+testredis.Start(t).URL(), "MCP_REDIS_INSTANCE=a")
			}
			testRestartWhileStarting(t, env)
		})
	}
}

func testRestartWhileStarting(t *testing.T, env []string) {
	sim := simtest.Start(t, simulator.Config{Token: "restart", Seed: 11, Rate: -1})
	g := startGateway(t, "serve", env, sim.URL, "restart")
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }() // the streams end with ctx

	views := []*restartView{{chaosView: chaosView{name: "envelope"}}, {chaosView: chaosView{name: "named"}}}
	for i, q := range []string{"?snapshot=1", "?snapshot=1&format=named"} {
		v := views[i]
		v.states, v.removed = map[string]map[string]any{}, map[string]bool{}
		follow(ctx, t, &wg, g.URL()+"/subscribe_events"+q, v.apply)
	}
	before := homeTruth(sim.Simulator)
	for _, v := range views {
		v.waitTrue(t, before)
	}

	sim.RestartStaged()
	testwait.For(t, 20*time.Second, "the gateway's link back while Home Assistant starts", func() bool {
		st := g.HAStatus()
		return st.Connected && st.Connects >= 2
	})
	if st := g.HAStatus(); !st.Starting {
		t.Errorf("Status() = %+v while Home Assistant is NOT_RUNNING, want Starting", st)
	}
	sim.ContinueStart() // STARTING: placeholders, then the first integrations
	sim.ContinueStart() // the rest, RUNNING, homeassistant_started
	testwait.For(t, 20*time.Second, "the states read once started", func() bool { return !g.HAStatus().Starting })

	after := homeTruth(sim.Simulator)
	for _, v := range views {
		v.waitTrue(t, after)
		v.mu.Lock()
		var wrong []string
		for e := range v.removed {
			if before[e] != nil && after[e] != nil {
				wrong = append(wrong, e)
			}
		}
		slices.Sort(wrong)
		if len(wrong) > 0 {
			t.Errorf("%s client was told that %d entities were removed that exist before and after the restart: %v", v.name, len(wrong), wrong)
		}
		if v.outages != 1 || v.gaps != 1 {
			t.Errorf("%s client: %d outages and %d gaps (%s), want one each", v.name, v.outages, v.gaps, strings.Join(v.order, " "))
		}
		v.mu.Unlock()
	}
}

// restartView is a chaosView that also notes every entity it was told was removed.
type restartView struct {
	chaosView
	removed map[string]bool
}

func (v *restartView) apply(ev sse.Event) {
	var m struct {
		Type     string          `json:"type"`
		EntityID string          `json:"entity_id"`
		Data     json.RawMessage `json:"data"`
		NewState json.RawMessage `json:"new_state"`
	}
	if json.Unmarshal([]byte(ev.Data), &m) == nil && (ev.Type == "state_changed" || m.Type == "state_changed") {
		newState := m.NewState
		if ev.Type == "" {
			var d struct {
				NewState json.RawMessage `json:"new_state"`
			}
			_ = json.Unmarshal(m.Data, &d)
			newState = d.NewState
		}
		if string(newState) == "null" {
			v.mu.Lock()
			v.removed[m.EntityID] = true
			v.mu.Unlock()
		}
	}
	v.chaosView.apply(ev)
}
