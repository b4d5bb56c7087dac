package halink

import (
	"context"
	"log/slog"
	"testing"
	"time"

	"hasse/internal/hass"
)

// TestStatesWaitForStart connects while Home Assistant is still starting: the session is up and
// its events flow, but its states reach the sink only after homeassistant_started, whole, and
// then Status no longer says Starting.
func TestStatesWaitForStart(t *testing.T) {
	ha := startHA(t)
	ha.sim.RestartStaged() // NOT_RUNNING: most entities missing
	c, err := New(Config{URL: ha.url, Token: "t", ReconnectMin: time.Millisecond}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	sink := recordingSink{order: make(chan any, 1000)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- c.Run(ctx, sink) }()
	defer func() { cancel(); <-done }()

	st := waitStatus(t, c, "a connection", connected)
	if !st.Starting {
		t.Errorf("Status() = %+v while Home Assistant is NOT_RUNNING, want Starting", st)
	}
	ha.sim.ContinueStart() // STARTING: homeassistant_start, placeholders, the first integrations
	ha.sim.ContinueStart() // RUNNING: homeassistant_started
	var sawStart, sawPlaceholder, sawStarted bool
	for {
		switch got := (<-sink.order).(type) {
		case *hass.Event:
			sawStart = sawStart || got.Type == "homeassistant_start"
			sawPlaceholder = sawPlaceholder || got.Type == hass.TypeStateChanged && got.State == "unavailable"
			sawStarted = sawStarted || got.Type == eventStarted
			continue
		case []hass.State:
			if want := len(ha.sim.States()); len(got) != want {
				t.Errorf("the sink got %d states, want every one of the %d", len(got), want)
			}
			for _, s := range got {
				if s.State == "unavailable" {
					t.Errorf("%s is a placeholder in the states read once started", s.EntityID)
				}
			}
		default:
			t.Fatalf("the sink got %T, want events, then the states", got)
		}
		break
	}
	if !sawStart || !sawPlaceholder || !sawStarted {
		t.Errorf("before the states: homeassistant_start %v, a placeholder %v, homeassistant_started %v; want all, the session's events flow while starting",
			sawStart, sawPlaceholder, sawStarted)
	}
	waitStatus(t, c, "started", func(st Status) bool { return st.Connected && !st.Starting })
}
