package halink

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/hass"
)

// TestSlowBigHome connects to a big home over a slow link, on the fake clock of a synctest
// bubble: get_states, about 4.5 MB, takes some 45 s to arrive at 100 KiB/s, far beyond the 10 s
// HandshakeTimeout, and pings' pongs wait behind it. The first connection reads it all and stays
// up: deadlines grow while data arrives.
func TestSlowBigHome(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHA(t)
		attrs := map[string]any{"friendly_name": "Probe", "notes": strings.Repeat("x", 1400)}
		const extra = 3000
		for i := range extra {
			ha.sim.SetState(fmt.Sprintf("sensor.probe_%04d", i), fmt.Sprint(i), attrs)
		}
		ha.sim.Throttle(100 << 10)

		c, err := New(Config{URL: "http://ha.test:8123", Token: "t", ReconnectMin: 3 * time.Second}, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{DialContext: ha.dial}
		defer tr.CloseIdleConnections()
		c.http = &http.Client{Transport: tr}
		sink := recordingSink{order: make(chan any, 100)}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		start := time.Now()
		go func() { done <- c.Run(ctx, sink) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		}()

		limit := time.After(10 * time.Minute)
		for states := []hass.State(nil); states == nil; {
			select {
			case got := <-sink.order:
				states, _ = got.([]hass.State)
				if got == (disconnected{}) {
					t.Fatalf("the connection ended while the states came: %v", c.Status().LastError)
				}
			case <-limit:
				t.Fatalf("no states in 10 minutes: %+v", c.Status())
			}
			if states != nil && len(states) < extra {
				t.Errorf("got %d states, want more than %d", len(states), extra)
			}
		}
		took := time.Since(start)
		t.Logf("took %v", took)
		if took < 3*c.cfg.HandshakeTimeout {
			t.Fatalf("the states came in %v: the link was not slow enough to test the deadlines", took)
		}
		time.Sleep(time.Minute) // pings and pongs, now at the link's pace
		if st := c.Status(); !st.Connected || st.Connects != 1 || st.LastError != nil {
			t.Errorf("Status() = %+v after the states came in %v, want the first connection up", st, took)
		}
	})
}
