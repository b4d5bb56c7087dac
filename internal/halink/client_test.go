package halink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hass"
	"hasse/internal/simulator"
)

func TestClientEvents(t *testing.T) {
	ha := startHA(t)
	c, events := startClient(t, ha, Config{}, nil)
	st := waitStatus(t, c, "a connection", connected)
	if st.HAVersion != simulator.DefaultVersion || st.Connects != 1 || st.LastError != nil {
		t.Errorf("Status() = %+v, want connected once to %s", st, simulator.DefaultVersion)
	}

	ha.sim.SetState("light.kitchen", "on", map[string]any{"brightness": 200, "friendly_name": "Kitchen"})
	ev := waitEvent(t, events, "for light.kitchen", entity("light.kitchen"))
	var newState struct {
		State      string         `json:"state"`
		Attributes map[string]any `json:"attributes"`
	}
	if err := json.Unmarshal(ev.NewState, &newState); err != nil {
		t.Fatalf("NewState %s: %v", ev.NewState, err)
	}
	want := map[string]any{"brightness": 200.0, "friendly_name": "Kitchen"}
	if ev.Domain != "light" || ev.State != "on" || ev.Origin != "LOCAL" || ev.TimeFired == "" || ev.Context == nil ||
		ev.Received.IsZero() || newState.State != "on" || !cmp.Equal(want, newState.Attributes) {
		t.Errorf("state_changed event = %+v, new_state %+v; want light.kitchen on, brightness 200", ev, newState)
	}
	if got := c.Status().LastEventAt; got.Before(ev.Received) {
		t.Errorf("Status().LastEventAt = %v, want at least %v", got, ev.Received)
	}

	ha.sim.FireEvent("call_service", map[string]any{"domain": "light", "service": "turn_off",
		"service_data": map[string]any{"entity_id": []string{"light.kitchen", "light.hall"}}})
	ev = waitEvent(t, events, "call_service", func(ev *hass.Event) bool { return ev.Type == hass.TypeCallService })
	if diff := cmp.Diff([]string{"light.kitchen", "light.hall"}, ev.Entities); diff != "" || ev.Domain != "light" || ev.EntityID != "" {
		t.Errorf("call_service event = %+v, entities diff (-want +got):\n%s", ev, diff)
	}
}

func TestClientSanitises(t *testing.T) {
	ha := startHA(t)
	c, events := startClient(t, ha, Config{}, nil)
	waitStatus(t, c, "a connection", connected)
	camera := func(state, token string) {
		ha.sim.SetState("camera.driveway", state, map[string]any{"access_token": token, "friendly_name": "Driveway",
			"entity_picture": "/api/camera_proxy/camera.driveway?token=" + token})
	}

	camera("recording", "secret-1")
	ev := waitEvent(t, events, "for the camera", entity("camera.driveway"))
	if bytes.Contains(ev.Data, []byte("secret-1")) || !bytes.Contains(ev.NewState, []byte(`camera.driveway?token=REDACTED"`)) {
		t.Errorf("camera event data %s, want no token", ev.Data)
	}
	// A token rotation alone is dropped: the next event is the marker written after it.
	camera("recording", "secret-2")
	ha.sim.SetState("input_boolean.marker", "on", nil)
	ev = waitEvent(t, events, "after the token rotation", func(*hass.Event) bool { return true })
	if ev.EntityID != "input_boolean.marker" {
		t.Errorf("after a token rotation got %s %s, want it dropped", ev.Type, ev.Data)
	}

	states, err := c.GetStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range states {
		if bytes.Contains(s, []byte("access_token")) || bytes.Contains(s, []byte("secret-2")) {
			t.Errorf("get_states holds a secret: %s", s)
		}
	}
}

func TestClientArrayFrames(t *testing.T) {
	ha := startHA(t)
	c, events := startClient(t, ha, Config{}, nil)
	waitStatus(t, c, "a connection", connected)

	// Motion runs an automation: HA queues its events in one turn and sends them as one array.
	ha.sim.SetState("binary_sensor.hall_motion", "on", map[string]any{"device_class": "motion", "friendly_name": "Hall motion"})
	var got []*hass.Event
	for _, typ := range []string{"state_changed", "automation_triggered", "call_service"} {
		got = append(got, waitEvent(t, events, typ, func(ev *hass.Event) bool { return ev.Type == typ }))
	}
	if got[1].EntityID != "automation.hall_light_on_motion" || got[2].Domain != "light" ||
		!got[1].Received.Equal(got[2].Received) {
		t.Errorf("automation events %+v, %+v; want them read from one frame", got[1], got[2])
	}
	waitEvent(t, events, "for light.hall", entity("light.hall"))
}

func TestClientLargeFrames(t *testing.T) {
	ha := startHA(t)
	c, events := startClient(t, ha, Config{}, nil)
	waitStatus(t, c, "a connection", connected)

	const n, size = 12, 400_000 // 4.8 MB of states, beyond the 4 MiB HA accepts inbound
	for i := range n {
		ha.sim.SetState(fmt.Sprintf("sensor.big_%02d", i), "1", map[string]any{"blob": strings.Repeat("x", size)})
	}
	waitEvent(t, events, "for the last big sensor", entity(fmt.Sprintf("sensor.big_%02d", n-1)))

	states, err := c.GetStates(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	big, total := 0, 0
	for _, s := range states {
		total += len(s)
		var st struct {
			EntityID   string `json:"entity_id"`
			Attributes struct{ Blob string }
		}
		if err := json.Unmarshal(s, &st); err != nil {
			t.Fatalf("state %.100s: %v", s, err)
		}
		if strings.HasPrefix(st.EntityID, "sensor.big_") && len(st.Attributes.Blob) == size {
			big++
		}
	}
	if big != n || total < 4<<20 {
		t.Errorf("GetStates: %d big sensors in %d states, %d bytes; want %d in more than 4 MiB", big, len(states), total, n)
	}
}

func TestClientReconnects(t *testing.T) {
	ha := startHA(t)
	c, events := startClient(t, ha, Config{ReconnectMin: time.Millisecond}, nil)
	waitStatus(t, c, "a connection", connected)

	ha.drop()
	st := waitStatus(t, c, "the connection lost", func(st Status) bool { return !st.Connected })
	if st.LastError == nil {
		t.Errorf("after the server dropped: Status() = %+v, want the error", st)
	}
	if _, err := c.GetStates(context.Background()); !errors.Is(err, ErrNotConnected) {
		t.Errorf("GetStates while disconnected: %v, want ErrNotConnected", err)
	}
	st = waitStatus(t, c, "a new connection", connected)
	if st.Connects != 2 {
		t.Errorf("Status() = %+v, want a second connection", st)
	}
	ha.sim.SetState("light.kitchen", "on", nil)
	waitEvent(t, events, "after reconnecting", entity("light.kitchen"))
}

func TestClientAuthInvalid(t *testing.T) {
	ha := startHA(t)
	const retry = 50 * time.Millisecond
	var log logRecorder
	c, _ := startClient(t, ha, Config{Token: "wrong", AuthRetryDelay: retry, ReconnectMin: time.Nanosecond, TokenTries: 4}, slog.New(&log))

	refusals := 0
	waitStatus(t, c, "three refusals", func(st Status) bool {
		if errors.Is(st.LastError, ErrAuthInvalid) {
			refusals++
		}
		return refusals == 3
	})
	st := c.Status()
	if st.Connected || st.Connects != 0 || !strings.Contains(fmt.Sprint(st.LastError), "Invalid access token or password") {
		t.Errorf("Status() = %+v, want refused with HA's message", st)
	}
	if n := log.count(slog.LevelError); n != 1 {
		t.Errorf("%d errors logged for 3 refusals, want 1", n)
	}
	at := ha.accepted()
	for i := 1; i < len(at); i++ {
		if gap := at[i].Sub(at[i-1]); gap < retry {
			t.Errorf("attempt %d came %v after the previous one, want at least %v", i+1, gap, retry)
		}
	}
}

// TestClientNonAdminToken runs in a synctest bubble over in-memory connections: once the status
// shows the refusal, synctest.Wait lets Run finish logging it and block on its retry timer, so
// the log is read after it is written rather than racing it.
func TestClientNonAdminToken(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHAWith(t, simulator.Config{Token: "t", UserToken: "u", Seed: 1, Rate: -1})
		var log logRecorder
		c := startPipeClient(t, ha, Config{Token: "u", AuthRetryDelay: time.Hour}, slog.New(&log))

		// A non-admin may not subscribe to every event: a configuration error, retried slowly.
		st := waitStatus(t, c, "a refusal", func(st Status) bool { return st.LastError != nil })
		var ce *CommandError
		if !errors.As(st.LastError, &ce) || ce.Command != "subscribe_events" || ce.Code != "unauthorized" ||
			!errors.Is(st.LastError, ErrAuthInvalid) || st.Connected {
			t.Errorf("Status() = %+v, want subscribe_events refused as unauthorized", st)
		}
		synctest.Wait()
		if n, d := log.count(slog.LevelError), ha.dials(); n != 1 || d != 1 {
			t.Errorf("after the refusal: %d errors logged, %d connections; want 1 and 1", n, d)
		}

		// An hour later it tries again, is refused again, and says so only at debug level.
		time.Sleep(time.Hour)
		synctest.Wait()
		if n, d := log.count(slog.LevelError), ha.dials(); n != 1 || d != 2 {
			t.Errorf("after the retry: %d errors logged, %d connections; want 1 and 2", n, d)
		}
		if n := log.count(slog.LevelDebug); n != 1 {
			t.Errorf("the second refusal was logged %d times at debug level, want once", n)
		}
	})
}

func TestClientCommands(t *testing.T) {
	ha := startHA(t)
	c, _ := startClient(t, ha, Config{}, nil)
	waitStatus(t, c, "a connection", connected)
	want := len(ha.sim.States())

	// Commands in flight at once each get their own reply.
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			states, err := c.GetStates(context.Background())
			if err != nil || len(states) != want {
				t.Errorf("GetStates = %d states, %v; want %d", len(states), err, want)
			}
		})
		wg.Go(func() {
			_, err := c.call(context.Background(), "no_such_command")
			if ce := (*CommandError)(nil); !errors.As(err, &ce) || ce.Code != "unknown_command" {
				t.Errorf("unknown command: error %v, want unknown_command", err)
			}
		})
	}
	wg.Wait()

	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := c.GetStates(ctx); !errors.Is(err, context.Canceled) {
		t.Errorf("GetStates(cancelled) error %v, want context.Canceled", err)
	}
}

func TestClientUnreachable(t *testing.T) {
	ts := httptest.NewServer(http.NotFoundHandler())
	url := ts.URL
	ts.Close() // nothing listens there any more
	var log logRecorder
	c, err := New(Config{URL: url, Token: "t", ReconnectMin: time.Millisecond}, slog.New(&log))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx, sinkFunc(func(*hass.Event) {})) }()

	failures := 0
	st := waitStatus(t, c, "five failures", func(st Status) bool {
		if st.LastError != nil {
			failures++
		}
		return failures == 5
	})
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run = %v, want nil", err)
	}
	if st.Connected || st.Connects != 0 {
		t.Errorf("Status() = %+v, want never connected", st)
	}
	if n := log.count(slog.LevelWarn); n != 1 {
		t.Errorf("%d warnings logged for %d failures in a row, want 1", n, failures)
	}
	if st := c.Status(); st.LastError != nil {
		t.Errorf("after Run returned: Status().LastError = %v, want nil", st.LastError)
	}
}

// TestRevokedTokenRecovers: a token Home Assistant refuses once and accepts again by the next try
// (a minute later) brings the link back by itself, with the refusal logged once.
func TestRevokedTokenRecovers(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHA(t)
		var log logRecorder
		c, _ := pipeClient(t, ha, Config{Token: "t", ReconnectMin: time.Millisecond}, slog.New(&log))
		time.Sleep(time.Second)
		if !c.Status().Connected {
			t.Fatalf("Status() = %+v, want connected", c.Status())
		}
		ha.sim.RefuseAuth(true)
		ha.sim.DropConnections()
		time.Sleep(30 * time.Second)
		if st := c.Status(); st.Connected || !errors.Is(st.LastError, ErrAuthInvalid) {
			t.Fatalf("Status() = %+v while the token is refused", st)
		}
		ha.sim.RefuseAuth(false)
		time.Sleep(time.Minute)
		if st := c.Status(); !st.Connected {
			t.Errorf("Status() = %+v a minute after the token was accepted again, want connected", st)
		}
		if n := log.count(slog.LevelError); n != 1 {
			t.Errorf("the refusal was logged %d times at error level, want once", n)
		}
	})
}
