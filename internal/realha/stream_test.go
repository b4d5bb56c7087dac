//go:build realha

package realha

import (
	"encoding/json"
	"io"
	"net/http"
	"testing"
	"time"

	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/ssetest"
)

// stream is one SSE client of hasse: every event it got, in order.
type stream struct {
	name   string
	events <-chan sse.Event
	seen   []sse.Event
	closed bool
}

// open opens hasse's stream with query (after "?") and token (none when empty), and fails the
// test unless hasse answers 200.
func open(t *testing.T, s *served, name, query, token string) *stream {
	t.Helper()
	req, err := http.NewRequest("GET", s.url+"/subscribe_events?"+query, nil)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	resp, events := ssetest.Open(t, req)
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(resp.Body)
		t.Fatalf("%s: %s %s", name, resp.Status, b)
	}
	return &stream{name: name, events: events}
}

// data decodes an event's JSON.
func data(ev sse.Event) map[string]any {
	var m map[string]any
	_ = json.Unmarshal([]byte(ev.Data), &m)
	return m
}

// typ is an event's type: its SSE name (named), else its "type" (envelope).
func typ(ev sse.Event) string {
	if ev.Type != "" {
		return ev.Type
	}
	t, _ := data(ev)["type"].(string)
	return t
}

// await returns the first event, among those got so far and then those still to come, that
// match holds for, failing the test when none comes within limit.
func (st *stream) await(t *testing.T, limit time.Duration, what string, match func(sse.Event) bool) sse.Event {
	t.Helper()
	for _, ev := range st.seen {
		if match(ev) {
			return ev
		}
	}
	ev, ok := st.next(limit, match)
	if !ok {
		t.Fatalf("%s: no %s within %v (got %d events)", st.name, what, limit, len(st.seen))
	}
	return ev
}

// next reads events until match holds for one (true) or limit passes or the stream ends.
func (st *stream) next(limit time.Duration, match func(sse.Event) bool) (sse.Event, bool) {
	timeout := time.After(limit)
	for {
		select {
		case ev, ok := <-st.events:
			if !ok {
				st.closed = true
				return sse.Event{}, false
			}
			st.seen = append(st.seen, ev)
			if match(ev) {
				return ev, true
			}
		case <-timeout:
			return sse.Event{}, false
		}
	}
}

// drain reads what arrives within d.
func (st *stream) drain(d time.Duration) {
	st.next(d, func(sse.Event) bool { return false })
}

// ofType matches events of the SSE or envelope type name.
func ofType(name string) func(sse.Event) bool {
	return func(ev sse.Event) bool { return typ(ev) == name }
}
