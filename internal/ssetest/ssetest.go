// Package ssetest sends the gateway real HTTP requests in tests: [Open] reads a Server-Sent
// Events stream's events onto a channel with go-sse until the test ends; [Do] reads a whole
// answer.
package ssetest

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net/http"
	"sync"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"
)

// Do sends req with client and returns the response and its whole body, already closed.
func Do(t testing.TB, client *http.Client, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	resp, err := client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return resp, body
}

// Open sends req and returns its response and the events of its body, read until the test
// ends (events of up to 1 MiB; the channel closes when the stream does). The caller checks the
// status.
func Open(t testing.TB, req *http.Request) (*http.Response, <-chan sse.Event) {
	t.Helper()
	return OpenWith(t, http.DefaultClient, req)
}

// OpenWith is Open with client, such as one whose transport dials an in-memory network.
func OpenWith(t testing.TB, client *http.Client, req *http.Request) (*http.Response, <-chan sse.Event) {
	t.Helper()
	ctx, cancel := context.WithCancel(req.Context())
	resp, err := client.Do(req.WithContext(ctx))
	if err != nil {
		cancel()
		t.Fatal(err)
	}
	events := make(chan sse.Event, 1024)
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer close(events)
		for ev, err := range sse.Read(resp.Body, &sse.ReadConfig{MaxEventSize: 1 << 20}) {
			if err != nil {
				return
			}
			events <- ev
		}
	}()
	t.Cleanup(func() { cancel(); resp.Body.Close(); <-done })
	return resp, events
}

// Next returns the stream's next event, and fails the test when the stream ends or no event
// comes within 10 s.
func Next(t testing.TB, events <-chan sse.Event) sse.Event {
	t.Helper()
	select {
	case ev, ok := <-events:
		if !ok {
			t.Fatal("stream ended")
		}
		return ev
	case <-time.After(10 * time.Second):
		t.Fatal("no event within 10s")
	}
	return sse.Event{}
}

// Recorder is a stream's output (Write, Flush, SetWriteDeadline, as package writer writes
// streams) that hands every flushed write to the test on Flushes.
type Recorder struct {
	// Flushes receives what each Flush flushed; it holds 1024 before a Flush waits.
	Flushes chan string
	// FailAt makes writes fail once this many flushes happened; 0: never. Set it before the
	// stream starts.
	FailAt int

	mu      sync.Mutex
	pending bytes.Buffer
	n       int
	total   int
}

// NewRecorder returns a Recorder that has taken nothing.
func NewRecorder() *Recorder { return &Recorder{Flushes: make(chan string, 1024)} }

// Write takes p until the next Flush, or fails once FailAt flushes happened.
func (r *Recorder) Write(p []byte) (int, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.FailAt > 0 && r.n >= r.FailAt {
		return 0, errors.New("broken pipe")
	}
	r.total += len(p)
	return r.pending.Write(p)
}

// Flush hands what was written since the last Flush to Flushes.
func (r *Recorder) Flush() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.n++
	r.Flushes <- r.pending.String()
	r.pending.Reset()
	return nil
}

// SetWriteDeadline does nothing: a Recorder never blocks a write.
func (r *Recorder) SetWriteDeadline(time.Time) error { return nil }

// Written returns how many bytes the Recorder took.
func (r *Recorder) Written() int {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.total
}
