package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"hasse/internal/halink"
	"hasse/internal/hass"
)

// lastJSON decodes the last line of out that is a JSON object into v.
func lastJSON(t *testing.T, out string, v any) {
	t.Helper()
	lines := strings.Split(strings.TrimSpace(out), "\n")
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.HasPrefix(lines[i], "{") {
			if err := json.Unmarshal([]byte(lines[i]), v); err != nil {
				t.Fatalf("%s: %v", lines[i], err)
			}
			return
		}
	}
	t.Fatalf("no JSON line in:\n%s", out)
}

// waitFor polls until path exists or the command that should write it has ended.
func waitFor(t *testing.T, path string, ended <-chan struct{}) {
	t.Helper()
	for {
		if _, err := os.Stat(path); err == nil {
			return
		}
		select {
		case <-ended:
			t.Fatalf("%s never appeared: the command ended", path)
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// Two listen processes' worth of clients on two URLs of the ceiling get three stamped events;
// their JSON lines, merged with the publisher's stamps, show every event at every client.
func TestListenAndMerge(t *testing.T) {
	c := newCeiling(2)
	ctx, cancel := context.WithCancel(t.Context())
	var servers sync.WaitGroup
	servers.Go(func() { c.run(ctx) })
	srv := httptest.NewServer(c.handler())
	defer func() { cancel(); servers.Wait(); srv.Close() }()

	dir := t.TempDir()
	urls := srv.URL + "/a," + srv.URL + "/b"
	var listens []listenResult
	var outs [2]bytes.Buffer
	var ended [2]chan struct{}
	lctx, stop := context.WithCancel(t.Context())
	var listeners sync.WaitGroup
	for i, n := range []int{5, 4} {
		ended[i] = make(chan struct{})
		listeners.Go(func() {
			defer close(ended[i])
			args := []string{"-url", urls, "-n", fmt.Sprint(n), "-rate", "3", "-duration", "1s", "-src-ips", "3",
				"-ready", filepath.Join(dir, fmt.Sprint("ready", i)), "-done", filepath.Join(dir, fmt.Sprint("done", i))}
			if err := listen(lctx, args, &outs[i], &outs[i]); err != nil {
				t.Errorf("listen %d: %v", i, err)
			}
		})
	}
	for i := range 2 {
		waitFor(t, filepath.Join(dir, fmt.Sprint("ready", i)), ended[i])
	}
	pub := publishResult{Rate: 3, DurationS: 1, Published: 3}
	for range 3 {
		stamp := time.Now().UnixNano()
		resp, err := http.Post(srv.URL+"/publish", "application/json", strings.NewReader(fmt.Sprintf(`{"ts":%d}`, stamp)))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		pub.Stamps = append(pub.Stamps, stamp)
	}
	for i := range 2 {
		waitFor(t, filepath.Join(dir, fmt.Sprint("done", i)), ended[i])
	}
	stop()
	listeners.Wait()
	for i := range 2 {
		var l listenResult
		lastJSON(t, outs[i].String(), &l)
		listens = append(listens, l)
	}
	if l := listens[0]; l.Established != 5 || l.EstablishedURL[0] != 3 || l.EstablishedURL[1] != 2 || !l.Complete || l.Received != 15 || len(l.Receipts) != 3 {
		t.Errorf("first listener: %d established (%v), complete %v, received %d, %d events; want 5 (3, 2), true, 15, 3",
			l.Established, l.EstablishedURL, l.Complete, l.Received, len(l.Receipts))
	}
	r, err := mergeScale(pub, listens, []instanceLine{{Instance: "a", URL: srv.URL + "/a"}, {Instance: "b", URL: srv.URL + "/b"}}, 10*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Pass || r.Clients != 9 || r.Expected != 27 || r.Received != 27 || r.EventsComplete != 3 || r.LastMaxMs <= 0 ||
		r.PerInstance[0].Clients != 5 || r.PerInstance[1].Clients != 4 {
		t.Errorf("merged: pass %v, %d clients, received %d of %d, %d events complete, last client max %v ms, clients per instance %d and %d; "+
			"want true, 9, 27 of 27, 3, above 0, 5 and 4", r.Pass, r.Clients, r.Received, r.Expected, r.EventsComplete, r.LastMaxMs,
			r.PerInstance[0].Clients, r.PerInstance[1].Clients)
	}
}

// lineWriter hands each write to a channel: the address the fake Home Assistant announces.
type lineWriter chan string

func (w lineWriter) Write(p []byte) (int, error) {
	select {
	case w <- string(p):
	default:
	}
	return len(p), nil
}

// publish waits for a subscription and the start file, then sends its events one at a time
// and reports the stamp of each, the stamps hasse's own link reads in them; with -hold it
// serves on until it is stopped.
func TestPublishCmd(t *testing.T) {
	dir := t.TempDir()
	start, result := filepath.Join(dir, "start"), filepath.Join(dir, "publish.jsonl")
	announced := make(lineWriter, 4)
	pctx, stop := context.WithCancel(t.Context())
	defer stop()
	ended := make(chan struct{})
	go func() {
		defer close(ended)
		args := []string{"-hass-addr", "127.0.0.1:0", "-hass-entities", "2", "-rate", "50", "-duration", "100ms",
			"-start-file", start, "-hold", "-out", result}
		if err := publishCmd(pctx, args, io.Discard, announced); err != nil {
			t.Errorf("publish: %v", err)
		}
	}()
	line := <-announced
	addr, _, ok := strings.Cut(strings.TrimPrefix(line, "fake Home Assistant on "), " ")
	if !ok || !strings.HasPrefix(addr, "ws://") {
		t.Fatalf("announced %q, want the fake Home Assistant's address", line)
	}
	c, err := halink.New(halink.Config{URL: strings.TrimSuffix(addr, ";"), Token: "bench"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	s := sink{events: make(chan *hass.Event, 16), connected: make(chan []hass.State, 1)}
	done := make(chan error)
	go func() { done <- c.Run(ctx, s) }()
	defer func() { cancel(); <-done }()
	<-s.connected
	if err := os.WriteFile(start, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	var read []int64
	for range 5 {
		ev := <-s.events
		stamp, ok := findStamp(ev.NewState)
		if !ok {
			t.Fatalf("event %s %s has no stamp", ev.Type, ev.NewState)
		}
		read = append(read, stamp)
	}
	waitFor(t, result, ended)
	select {
	case <-ended:
		t.Error("publish -hold ended before it was stopped")
	default:
	}
	stop()
	<-ended
	out, err := os.ReadFile(result)
	if err != nil {
		t.Fatal(err)
	}
	var r publishResult
	lastJSON(t, string(out), &r)
	if r.Published != 5 || r.PublishErrors != 0 || fmt.Sprint(r.Stamps) != fmt.Sprint(read) {
		t.Errorf("published %d (%d errors), stamps %v; want 5, 0, the stamps read %v", r.Published, r.PublishErrors, r.Stamps, read)
	}
}
