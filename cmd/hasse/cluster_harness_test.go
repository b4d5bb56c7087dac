package main

import (
	"bytes"
	"context"
	"encoding/json"
	"io"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/servetest"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// The multi-instance tests run real `hasse serve` processes against one simulated home (in the
// test process, so that its true state is at hand) and one real redis-server.

// testHome is the simulated home on a real port; busy steps it until stopped.
type testHome struct {
	sim  *simulator.Simulator
	url  string
	busy context.CancelFunc
	wg   sync.WaitGroup
}

func startTestHome(t *testing.T) *testHome {
	t.Helper()
	sim := simtest.Start(t, simulator.Config{Token: "cluster", Seed: time.Now().UnixNano(), Rate: -1})
	hm := &testHome{sim: sim.Simulator, url: sim.URL, busy: func() {}}
	t.Cleanup(hm.quiet) // before the home ends
	return hm
}

// start makes the home busy: an activity step every few milliseconds until quiet.
func (hm *testHome) start() {
	ctx, cancel := context.WithCancel(context.Background())
	hm.busy = cancel
	hm.wg.Go(func() {
		for ctx.Err() == nil {
			hm.sim.Step()
			time.Sleep(3 * time.Millisecond) // a pace for the home, not a timing assertion
		}
	})
}

// quiet stops the busy home and waits for its last step: what truth reads next is final.
func (hm *testHome) quiet() {
	hm.busy()
	hm.wg.Wait()
}

// truth is the home's state as a client's view holds it.
func (hm *testHome) truth() map[string]map[string]any { return homeTruth(hm.sim) }

// serveProc is one `hasse serve` process.
type serveProc struct {
	name string
	url  string
	proc *servetest.Process
}

// startServe runs `hasse serve` as instance name with env added to a test environment, and
// waits until it listens. The test's end kills it.
func startServe(t *testing.T, bin, name, haURL, redisURL string, env ...string) *serveProc {
	t.Helper()
	cmd := exec.Command(bin, "serve")
	cmd.Env = append(os.Environ(), "MCP_HTTP_ADDR=127.0.0.1:0", "HA_URL="+haURL, "HA_TOKEN=cluster",
		"MCP_SSE_AUTH=none", "MCP_RATE_LIMIT_ENABLED=false", "MCP_SSE_STATS_DB=off",
		"MCP_REDIS_URL="+redisURL, "MCP_REDIS_INSTANCE="+name, "MCP_REDIS_LEASE=2s")
	cmd.Env = append(cmd.Env, env...)
	p := servetest.Start(t, cmd, servetest.Options{Name: name, Listen: 20 * time.Second})
	return &serveProc{name: name, url: p.URL, proc: p}
}

// kill ends the process at once, as a crash would, and waits for it.
func (p *serveProc) kill() { p.proc.Kill() }

// procLog is a process's output, written and read concurrently.
type procLog struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *procLog) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *procLog) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// health reads the instance's /health.
func (p *serveProc) health() (status, role string, ok bool) {
	resp, err := http.Get(p.url + "/health")
	if err != nil {
		return "", "", false
	}
	defer resp.Body.Close()
	var h struct {
		Status string `json:"status"`
		Redis  struct {
			Role string `json:"role"`
		} `json:"redis"`
	}
	if json.NewDecoder(resp.Body).Decode(&h) != nil {
		return "", "", false
	}
	return h.Status, h.Redis.Role, true
}

// viewer is one SSE client: its view of the home, the ids it got, and whether it was resumed.
type viewer struct {
	*chaosView
	ids     []string
	resumed []bool // one per connection
	stop    context.CancelFunc
	done    chan struct{}
}

func newViewer(name string) *viewer {
	return &viewer{chaosView: &chaosView{name: name, states: map[string]map[string]any{}}}
}

// connect opens a stream on base (with Last-Event-ID when lastID is set) and reads it into v
// until v.close or the stream ends.
func (v *viewer) connect(t *testing.T, base, lastID string) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	req, _ := http.NewRequestWithContext(ctx, "GET", base+"/subscribe_events?snapshot=1", nil)
	if lastID != "" {
		req.Header.Set("Last-Event-ID", lastID)
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		cancel()
		t.Fatalf("%s: %v", v.name, err)
	}
	if resp.StatusCode != 200 {
		cancel()
		t.Fatalf("%s: %s", v.name, resp.Status)
	}
	v.stop, v.done = cancel, make(chan struct{})
	go func() {
		defer close(v.done)
		defer resp.Body.Close()
		v.read(resp.Body)
	}()
	t.Cleanup(v.close)
}

func (v *viewer) read(r io.Reader) {
	for ev, err := range sse.Read(r, &sse.ReadConfig{MaxEventSize: 1 << 20}) {
		if err != nil {
			return
		}
		var head struct {
			ID      string `json:"id"`
			Type    string `json:"type"`
			Resumed bool   `json:"resumed"`
		}
		_ = json.Unmarshal([]byte(ev.Data), &head)
		v.mu.Lock()
		switch {
		case head.Type == "connection":
			v.resumed = append(v.resumed, head.Resumed)
		case head.ID != "":
			v.ids = append(v.ids, head.ID)
		}
		v.mu.Unlock()
		v.apply(ev)
	}
}

// close ends the stream and waits for its reader.
func (v *viewer) close() {
	if v.stop != nil {
		v.stop()
		<-v.done
	}
}

// wait waits for the stream to end by itself (its instance died).
func (v *viewer) wait(t *testing.T) {
	t.Helper()
	select {
	case <-v.done:
	case <-time.After(20 * time.Second):
		t.Fatalf("%s: stream still open 20s after its instance died", v.name)
	}
}

func (v *viewer) snapshot() (ids []string, gaps int, reasons string) {
	v.mu.Lock()
	defer v.mu.Unlock()
	return append([]string(nil), v.ids...), v.gaps, strings.Join(v.reasons, " ")
}

// has reports whether the view holds entity in state.
func (v *viewer) has(entity, state string) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	return v.states[entity] != nil && v.states[entity]["state"] == state
}
