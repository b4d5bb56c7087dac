package halink

import (
	"context"
	"fmt"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hasse/internal/hass"
)

// TestStatesFollowTheSubscription checks that after connecting the client hands the sink every
// state, sanitised, and that an event written after the states arrives after them.
func TestStatesFollowTheSubscription(t *testing.T) {
	ha := startHA(t)
	c, err := New(Config{URL: ha.url, Token: "t", Redact: []string{"access_token"}, ReconnectMin: time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sink := recordingSink{order: make(chan any, 1000)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, sink) }()
	defer func() { cancel(); <-done }()

	var states []hass.State
	for states == nil {
		if got, ok := (<-sink.order).([]hass.State); ok {
			states = got
		}
	}
	if len(states) < 40 {
		t.Errorf("got %d states, want the simulated home's 40 or more", len(states))
	}
	for _, st := range states {
		if strings.HasPrefix(st.EntityID, "camera.") && (strings.Contains(string(st.JSON), "access_token") || !strings.Contains(string(st.JSON), "token=REDACTED")) {
			t.Errorf("camera state not sanitised: %s", st.JSON)
		}
		if st.Domain == "" || st.JSON == nil {
			t.Errorf("state %+v lacks its domain or JSON", st)
		}
	}
	ha.sim.SetState("light.after_states", "on", nil)
	for {
		if ev, ok := (<-sink.order).(*hass.Event); ok && ev.EntityID == "light.after_states" {
			break
		}
	}

	// A lost connection is reported, and the next one brings the states again.
	ha.drop()
	if got := <-sink.order; got != (disconnected{}) {
		t.Fatalf("after the drop the sink got %T, want Disconnected", got)
	}
	if got, ok := (<-sink.order).([]hass.State); !ok || len(got) != len(states)+1 {
		t.Errorf("after reconnecting the sink got %T (%d states), want the %d states again", got, len(got), len(states)+1)
	}
}

// TestBigHome connects to a home of over 5,000 entities with large attributes: the states, one
// frame of more than 4 MiB, reach the sink whole.
func TestBigHome(t *testing.T) {
	ha := startHA(t)
	attrs := map[string]any{"friendly_name": "Probe", "notes": strings.Repeat("x", 900)}
	for i := range 5000 {
		ha.sim.SetState(fmt.Sprintf("sensor.probe_%04d", i), fmt.Sprint(i), attrs)
	}
	c, err := New(Config{URL: ha.url, Token: "t"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sink := recordingSink{order: make(chan any, 16)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, sink) }()
	defer func() { cancel(); <-done }()
	for {
		if states, ok := (<-sink.order).([]hass.State); ok {
			total := 0
			for _, st := range states {
				total += len(st.JSON)
			}
			if len(states) < 5040 || total < 4<<20 {
				t.Errorf("got %d states of %d bytes, want over 5,040 in more than 4 MiB", len(states), total)
			}
			return
		}
	}
}
