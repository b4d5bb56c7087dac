// Package ssetest sends the gateway real HTTP requests in tests: [Open] reads a Server-Sent
// Events stream's events onto a channel with go-sse until the test ends; [Do] reads a whole
// answer.
package ssetest

import (
	"context"
	"io"
	"net/http"
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
