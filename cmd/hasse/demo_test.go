package main

import (
	"bufio"
	"context"
	"encoding/json"
	"hasse/internal/ssetest"
	"io"
	"net/http"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"
	"go.uber.org/goleak"
)

func TestMain(m *testing.M) {
	goleak.VerifyTestMain(m, goleak.Cleanup(func(code int) { built.remove(); os.Exit(code) }))
}

// demoInstance is `hasse demo` running in the test process on a free port.
type demoInstance struct {
	base, token string
	userToken   string       // a non-admin Home Assistant user's, under auth ha
	stop        func() error // ends the demo as SIGINT would and returns run's error
}

// startDemo runs `hasse demo` with the given extra environment and flags and waits for its
// printed instructions.
func startDemo(t *testing.T, environ []string, args ...string) *demoInstance {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	errc := make(chan error, 1)
	environ = append([]string{"MCP_HTTP_ADDR=127.0.0.1:0", "MCP_LOG_LEVEL=warn"}, environ...)
	go func() {
		err := run(ctx, append([]string{"demo"}, args...), environ, pw, io.Discard)
		pw.Close()
		errc <- err
	}()
	d := &demoInstance{}
	lines := bufio.NewScanner(pr)
	for lines.Scan() {
		line := strings.TrimSpace(lines.Text())
		if rest, ok := strings.CutPrefix(line, "health:"); ok {
			d.base = strings.TrimSuffix(strings.TrimSpace(rest), "/health")
		}
		if rest, ok := strings.CutPrefix(line, "token:"); ok {
			d.token, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
		}
		if rest, ok := strings.CutPrefix(line, "user:"); ok {
			d.userToken, _, _ = strings.Cut(strings.TrimSpace(rest), " ")
		}
		if strings.HasPrefix(line, "Press Ctrl-C") {
			break
		}
	}
	go func() { _, _ = io.Copy(io.Discard, pr) }()
	var stopped bool
	d.stop = func() error {
		if stopped {
			return nil
		}
		stopped = true
		cancel()
		return <-errc
	}
	t.Cleanup(func() { _ = d.stop() })
	if d.base == "" {
		cancel()
		t.Fatalf("demo printed no URLs: %v", <-errc)
	}
	return d
}

// stream opens path on the demo and returns its parsed events.
func (d *demoInstance) stream(t *testing.T, path string) <-chan sse.Event {
	t.Helper()
	req, _ := http.NewRequest("GET", d.base+path, nil)
	if d.token != "" {
		req.Header.Set("Authorization", "Bearer "+d.token)
	}
	resp, events := ssetest.Open(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("GET %s: %s", path, resp.Status)
	}
	return events
}

func receive(t *testing.T, events <-chan sse.Event) (sse.Event, bool) {
	t.Helper()
	select {
	case ev, ok := <-events:
		return ev, ok
	case <-time.After(20 * time.Second):
		t.Fatal("no event within 20s")
		return sse.Event{}, false
	}
}

// TestDemoStreamsFilteredEvents runs the newcomer's path: `hasse demo`, then a stream of the
// simulated home's lights through a Go SSE client.
func TestDemoStreamsFilteredEvents(t *testing.T) {
	d := startDemo(t, nil, "--seed", "7", "--rate", "40")
	if d.token == "" {
		t.Fatal("demo printed no token")
	}
	events := d.stream(t, "/subscribe_events?domain=light,switch&events=state_changed,call_service")
	first, _ := receive(t, events)
	if !strings.Contains(first.Data, `"type":"connection"`) {
		t.Fatalf("first event %q, want the connection event", first.Data)
	}
	var lastSeq int64
	for range 5 {
		ev, ok := receive(t, events)
		if !ok {
			t.Fatal("stream ended")
		}
		var got struct{ ID, Type, Domain string }
		if err := json.Unmarshal([]byte(ev.Data), &got); err != nil {
			t.Fatalf("event %q: %v", ev.Data, err)
		}
		epoch, seqText, _ := strings.Cut(ev.LastEventID, "-")
		seq, err := strconv.ParseInt(seqText, 10, 64)
		if epoch == "" || err != nil || seq <= lastSeq || got.ID != ev.LastEventID {
			t.Errorf("event id %q (data id %q) after sequence %d: want <epoch>-<increasing sequence>", ev.LastEventID, got.ID, lastSeq)
		}
		lastSeq = seq
		if (got.Type != "state_changed" && got.Type != "service_called") || (got.Domain != "light" && got.Domain != "switch") {
			t.Errorf("event %s %s passed filter domain=light,switch&events=state_changed,call_service", got.Type, got.Domain)
		}
	}
	if err := d.stop(); err != nil {
		t.Errorf("demo ended with %v, want nil", err)
	}
	for ev := range events { // the stream must end with the demo
		_ = ev
	}
}

func TestDemoRefusesBadTokenAndServesHealth(t *testing.T) {
	d := startDemo(t, nil)
	resp, err := http.Get(d.base + "/subscribe_events?token=wrong")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("wrong token: %s, want 401", resp.Status)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		resp, err := http.Get(d.base + "/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("/ready still %s after 10s: the gateway never reached the simulator", resp.Status)
		}
		time.Sleep(50 * time.Millisecond) // polling a real server for readiness, not a timing assertion
	}
}

func TestDemoAuthNoneNamedFormat(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_SSE_FORMAT=named"}, "--rate", "40")
	if d.token != "" {
		t.Errorf("demo under auth none printed token %q", d.token)
	}
	events := d.stream(t, "/subscribe_events")
	if ev, _ := receive(t, events); ev.Type != "connected" {
		t.Errorf("first event type %q, want connected", ev.Type)
	}
	ev, _ := receive(t, events)
	var got map[string]any
	if err := json.Unmarshal([]byte(ev.Data), &got); err != nil || got["event_type"] != ev.Type || ev.LastEventID == "" {
		t.Errorf("named event %q id %q data %s: want event_type equal to the event name and an id", ev.Type, ev.LastEventID, ev.Data)
	}
}

// TestDemoCrossOriginDefaults checks the default of MCP_HTTP_ALLOWED_ORIGINS: under auth none a
// page of another site is refused (it needs no token to read or act), under auth tokens any
// origin gets CORS (it needs a token), and under auth none configured origins are served.
func TestDemoCrossOriginDefaults(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		token   bool
		status  int
		allow   string
	}{
		{"auth none", []string{"MCP_SSE_AUTH=none"}, false, 403, ""},
		{"auth none, origins configured", []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=https://evil.example"}, false, 200, "https://evil.example"},
		{"auth tokens", nil, true, 200, "*"},
	} {
		d := startDemo(t, tc.environ, "--rate", "0")
		req, _ := http.NewRequest("GET", d.base+"/api/sse/stats", nil)
		req.Header.Set("Origin", "https://evil.example")
		if tc.token {
			req.Header.Set("Authorization", "Bearer "+d.token)
		}
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != tc.status || resp.Header.Get("Access-Control-Allow-Origin") != tc.allow {
			t.Errorf("%s: from another site %s, Access-Control-Allow-Origin %q; want %d, %q", tc.name, resp.Status,
				resp.Header.Get("Access-Control-Allow-Origin"), tc.status, tc.allow)
		}
		if err := d.stop(); err != nil {
			t.Errorf("%s: %v", tc.name, err)
		}
	}
}

// TestDemoSnapshot asks for the lights' current states: they come from the simulator's
// get_states through the gateway, then snapshot_complete counts them.
func TestDemoSnapshot(t *testing.T) {
	d := startDemo(t, nil, "--rate", "0")
	deadline := time.Now().Add(10 * time.Second)
	for { // the snapshot needs the link up: wait for /ready
		resp, err := http.Get(d.base + "/ready")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode == 200 || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond) // polling a real server for readiness, not a timing assertion
	}
	events := d.stream(t, "/subscribe_events?snapshot=1&domain=light&format=named")
	if ev, _ := receive(t, events); ev.Type != "connected" {
		t.Fatalf("first event %q, want connected", ev.Type)
	}
	lights := 0
	for {
		ev, ok := receive(t, events)
		if !ok {
			t.Fatal("stream ended in the snapshot")
		}
		if ev.Type == "snapshot_complete" {
			if want := `{"count":` + strconv.Itoa(lights) + `}`; ev.Data != want || lights < 3 {
				t.Errorf("snapshot_complete %s after %d lights, want %s and at least 3 lights", ev.Data, lights, want)
			}
			return
		}
		var st struct {
			EntityID string `json:"entity_id"`
		}
		if err := json.Unmarshal([]byte(ev.Data), &st); err != nil || ev.Type != "state" || !strings.HasPrefix(st.EntityID, "light.") {
			t.Fatalf("snapshot event %q %s, want a light's state", ev.Type, ev.Data)
		}
		lights++
	}
}

// TestDemoAuthHA runs the demo with clients' own Home Assistant tokens: the simulated home's
// token opens a stream, anything else is refused by Home Assistant itself.
func TestDemoAuthHA(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=ha"}, "--rate", "40")
	if d.token == "" {
		t.Fatal("demo under auth ha printed no token")
	}
	events := d.stream(t, "/subscribe_events?domain=light")
	if ev, _ := receive(t, events); !strings.Contains(ev.Data, `"authenticated":true`) {
		t.Errorf("first event %s, want an authenticated connection", ev.Data)
	}
	resp, err := http.Get(d.base + "/subscribe_events?token=not-a-home-assistant-token")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != 401 {
		t.Errorf("a token Home Assistant refuses: %s, want 401", resp.Status)
	}
}

// TestDemoAuthHANonAdmin: a non-admin Home Assistant user sees what Home Assistant would let it
// subscribe to: asking for call_service is 403, asking for nothing gives only allowed types.
func TestDemoAuthHANonAdmin(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=ha"}, "--seed", "5", "--rate", "60")
	if d.userToken == "" {
		t.Fatal("demo under auth ha printed no user token")
	}
	for _, q := range []string{"events=call_service", "events=service_called", "event_types=automation_triggered"} {
		resp, err := http.Get(d.base + "/subscribe_events?" + q + "&token=" + d.userToken)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != 403 {
			t.Errorf("non-admin asking %s: %s, want 403", q, resp.Status)
		}
	}
	admin := d.token
	d.token = d.userToken
	events := d.stream(t, "/subscribe_events")
	d.token = admin
	receive(t, events) // connected
	allowed := map[string]bool{"state_changed": true, "component_loaded": true, "area_registry_updated": true,
		"device_registry_updated": true, "entity_registry_updated": true}
	for range 30 {
		ev, ok := receive(t, events)
		if !ok {
			t.Fatal("stream ended")
		}
		var got struct{ Type string }
		if err := json.Unmarshal([]byte(ev.Data), &got); err != nil || !allowed[got.Type] {
			t.Errorf("non-admin got a %q event: %s", got.Type, ev.Data)
		}
	}
}
