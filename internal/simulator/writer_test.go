package simulator

import (
	"bytes"
	"context"
	"encoding/json"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strconv"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

func TestCoalescing(t *testing.T) {
	for _, tc := range []struct {
		name     string
		features string // supported_features sent first, or ""
		want     []int  // messages in each frame after a burst of two pongs and a six-event automation run
	}{
		{"coalesce_messages", `{"coalesce_messages":1}`, []int{2, 6}},
		{"other features", `{"other":1}`, []int{1, 1, 1, 1, 1, 1, 1, 1}},
		{"no supported_features", "", []int{1, 1, 1, 1, 1, 1, 1, 1}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := startSim(t, Config{})
			c := login(t, ts, adminToken)
			if tc.features != "" {
				c.send(`{"id":1,"type":"supported_features","features":` + tc.features + `}`)
				if got := c.frame(); !bytes.Equal(got, []byte(`{"id":1,"type":"result","success":true,"result":null}`)) {
					t.Fatalf("supported_features reply %s", got)
				}
			}
			c.subscribe(2, "")
			c.send(`[{"id":3,"type":"ping"},{"id":4,"type":"ping"}]`) // handled in one turn
			var sizes []int
			for sum := 0; sum < 2; {
				n := frameSize(t, c.frame())
				sizes, sum = append(sizes, n), sum+n
			}
			s.SetState("binary_sensor.hall_motion", "on", nil) // six events in one turn
			for sum := 0; sum < 6; {
				n := frameSize(t, c.frame())
				sizes, sum = append(sizes, n), sum+n
			}
			if diff := cmp.Diff(tc.want, sizes); diff != "" {
				t.Errorf("messages per frame (-want +got):\n%s", diff)
			}
		})
	}
}

// frameSize is the number of messages in a frame: an array's length, or 1 for an object.
func frameSize(t *testing.T, frame []byte) int {
	t.Helper()
	if !bytes.HasPrefix(frame, []byte("[")) {
		return 1
	}
	var msgs []json.RawMessage
	if err := json.Unmarshal(frame, &msgs); err != nil {
		t.Fatalf("array frame %s: %v", frame, err)
	}
	return len(msgs)
}

// TestSlowClient checks that a client that stops reading is dropped once 4096 messages wait for
// it, while another connection gets every event without delay.
func TestSlowClient(t *testing.T) {
	s, ts := startSim(t, Config{})
	stalled := login(t, ts, adminToken)
	stalled.subscribe(1, "")
	reader := login(t, ts, adminToken)
	reader.subscribe(1, "state_changed")

	big := strings.Repeat("x", 4096) // fills socket buffers sooner
	progress := make(chan struct{})  // one tick per event the reading client gets
	var wg sync.WaitGroup
	wg.Go(func() {
		defer close(progress)
		for {
			ctx, cancel := context.WithTimeout(context.Background(), waitLimit)
			_, _, err := reader.ws.Read(ctx)
			cancel()
			if err != nil {
				return
			}
			progress <- struct{}{}
		}
	})
	defer wg.Wait()
	defer reader.ws.CloseNow()

	// Fire in chunks the reading client keeps up with, until the stalled one is gone.
	const chunk, limit = 256, 20000
	fired := 0
	for fired < limit && connections(s) == 2 {
		for range chunk {
			s.SetState("sensor.load", "on", map[string]any{"n": fired, "padding": big})
			fired++
		}
		for range chunk {
			if _, ok := <-progress; !ok {
				t.Fatalf("the reading client lost its connection after %d events", fired)
			}
		}
	}
	if fired >= limit {
		t.Fatalf("the stalled client is still connected after %d events", fired)
	}
	if got := stalled.closed(); got == websocket.StatusNormalClosure {
		t.Errorf("stalled client closed with %v, want an abrupt close", got)
	}
}

// connections is how many WebSocket connections the simulator serves.
func connections(s *Simulator) int {
	n := 0
	s.do(context.Background(), func(h *home) { n = len(h.conns) })
	return n
}

func TestRunEndClosesConnections(t *testing.T) {
	s, err := New(Config{Token: adminToken, Rate: 50}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Run(ctx) }()
	ts := httptest.NewServer(s)
	defer ts.Close()

	c := login(t, ts, adminToken)
	c.subscribe(1, "") // events flow at 50 steps a second
	c.next()
	cancel()
	if err := <-done; err != nil {
		t.Errorf("Run() = %v, want nil", err)
	}
	c.closed()

	resp, err := ts.Client().Get(ts.URL + "/api/websocket")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusServiceUnavailable {
		t.Errorf("after Run: GET /api/websocket = %d, want %d", resp.StatusCode, http.StatusServiceUnavailable)
	}
}

// TestPendingPeak checks HA's rule for clients that cannot keep up for long: more than 1024
// messages waiting starts a 10 s check, and a client with 1024 or more still waiting then is
// dropped; one that caught up meanwhile stays.
func TestPendingPeak(t *testing.T) {
	for _, tc := range []struct {
		name     string
		catchUp  time.Duration // when the client starts reading again; 0 = never
		wantOpen bool
	}{
		{"stays behind", 0, false},
		{"catches up", 5 * time.Second, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				s, login := startPipeSim(t, Config{})
				c := login(adminToken, nil)
				c.subscribe(1, "")
				for i := range pendingPeak + 1 { // the writer is stuck on the first: nobody reads
					s.SetState("sensor.load", strconv.Itoa(i), nil)
				}
				if tc.catchUp > 0 {
					time.Sleep(tc.catchUp)
					msgs, _ := readAll(c)
					go func() {
						for range msgs {
						}
					}()
				}
				time.Sleep(pendingPeakTime - tc.catchUp - time.Millisecond)
				synctest.Wait()
				if n := connections(s); n != 1 {
					t.Fatalf("%d connections just before the check, want the client's", n)
				}
				time.Sleep(time.Millisecond)
				synctest.Wait()
				if open := connections(s) == 1; open != tc.wantOpen {
					t.Errorf("after the check the connection is open: %v, want %v", open, tc.wantOpen)
				}
			})
		})
	}
}
