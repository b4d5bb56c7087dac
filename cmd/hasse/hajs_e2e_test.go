//go:build e2e

package main

import (
	"bufio"
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// TestHomeAssistantJSClientAgainstSimulator runs Home Assistant's official JavaScript client
// (home-assistant-js-websocket with ws, Node 20) against the simulator: states, config,
// services, subscribe_entities, subscribe_events and a service call that turns a light on, seen
// both ways with one shared context.
func TestHomeAssistantJSClientAgainstSimulator(t *testing.T) {
	sim := simtest.Start(t, simulator.Config{Token: "js-token", Seed: 1, Rate: -1})

	run, stop := context.WithTimeout(context.Background(), 60*time.Second)
	defer stop()
	cmd := exec.CommandContext(run, "node", "fidelity.mjs", sim.URL, "js-token", "light.kitchen")
	cmd.Dir = filepath.Join("..", "..", "e2e", "hajs")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v", err)
	}
	seen := map[string]map[string]any{}
	lines := bufio.NewScanner(out)
	for lines.Scan() {
		var m map[string]any
		if err := json.Unmarshal(lines.Bytes(), &m); err != nil {
			t.Fatalf("driver printed %q", lines.Text())
		}
		seen[m["what"].(string)] = m
	}
	if err := cmd.Wait(); err != nil {
		t.Fatalf("driver: %v; it saw %v", err, seen)
	}
	check := func(what, key string, ok func(any) bool) {
		t.Helper()
		if v, found := seen[what][key]; !found || !ok(v) {
			t.Errorf("%s.%s = %v (all: %v)", what, key, v, seen[what])
		}
	}
	positive := func(v any) bool { n, _ := v.(float64); return n >= 40 }
	check("connected", "haVersion", func(v any) bool { return v == simulator.DefaultVersion })
	check("states", "count", positive)
	check("entities", "count", positive)
	check("config", "version", func(v any) bool { return v == simulator.DefaultVersion })
	check("services", "lightTurnOn", func(v any) bool { return v == true })
	check("entity", "state", func(v any) bool { return v == "on" })
	check("entity", "brightness", func(v any) bool { return v == float64(200) })
	called, _ := seen["called"]["contextId"].(string)
	if len(called) != 26 {
		t.Errorf("call_service result context id %q, want a 26-character ULID", called)
	}
	for what, key := range map[string]string{"entity": "contextId", "event": "contextId"} {
		if got := seen[what][key]; got != called {
			t.Errorf("%s's context id %v, want the service call's %s", what, got, called)
		}
	}
	if got := seen["event"]["callContextId"]; got != called {
		t.Errorf("call_service event's context id %v, want %s", got, called)
	}
}
