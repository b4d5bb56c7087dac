//go:build linux

package writer

import (
	"bufio"
	"context"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hasse/internal/format"
	"hasse/internal/hub"
)

// TestRespondWritesOneStreamEitherWay answers a plain HTTP/1.1 request through the pool and
// through the handler's goroutine (no pool running): both are a dated, chunked, event-stream
// response that keeps its connection, with the caller's first bytes, then the hub's events, and
// only the pooled one leaves its handler.
func TestRespondWritesOneStreamEitherWay(t *testing.T) {
	for _, pooled := range []bool{true, false} {
		name := map[bool]string{true: "pool", false: "goroutine"}[pooled]
		t.Run(name, func(t *testing.T) {
			h := startHub(t, hub.Config{})
			w := newWriter(t, Config{})
			ctx, cancel := context.WithCancel(context.Background())
			var pool *Pool
			wait := func() {}
			if pooled {
				pool, wait = w.Start(ctx)
			}
			returned := make(chan struct{}, 1)
			srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
				c, err := h.Subscribe(r.Context(), hub.Subscription{ID: name, User: "u", Format: format.Named})
				if err != nil {
					t.Error(err)
					return
				}
				w.Respond(ctx, rw, r, c, []byte(": first\n\n"), func() {})
				returned <- struct{}{}
			}))
			t.Cleanup(func() { cancel(); h.Disconnect(context.Background(), name); wait(); srv.Close() })
			resp := get(t, srv.URL)
			date, err := http.ParseTime(resp.Header.Get("Date"))
			switch {
			case resp.StatusCode != 200 || !strings.HasPrefix(resp.Header.Get("Content-Type"), "text/event-stream"):
				t.Fatalf("status %d, Content-Type %q", resp.StatusCode, resp.Header.Get("Content-Type"))
			case err != nil || date.IsZero():
				t.Errorf("Date %q: want one", resp.Header.Get("Date"))
			case len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked":
				t.Errorf("transfer encoding %v, want chunked", resp.TransferEncoding)
			case resp.Close:
				t.Error("the response says the connection closes; want keep-alive")
			}
			rd := bufio.NewReader(resp.Body)
			if lines := frame(t, rd); len(lines) != 1 || lines[0] != ": first" {
				t.Fatalf("first frame %q, want the caller's first bytes", lines)
			}
			h.Publish(stateEvent("light.kitchen", "on"))
			if lines := frame(t, rd); field(lines, "event") != "state_changed" {
				t.Fatalf("then %q, want the event", lines)
			}
			select {
			case <-returned:
				if !pooled {
					t.Fatal("the handler returned while it writes the stream")
				}
			default:
				if pooled {
					<-returned // it returns once the pool has the connection: this waits for it
				}
			}
			if pooled {
				conns := 0
				for _, st := range pool.Status() {
					conns += st.Connections
				}
				if conns != 1 {
					t.Errorf("the pool serves %d connections, want 1", conns)
				}
			}
		})
	}
}

// get asks base for / over a plain HTTP/1.1 connection of its own, closed when the test ends,
// and returns the response, its body still to read.
func get(t *testing.T, base string) *http.Response {
	t.Helper()
	conn, err := net.Dial("tcp", strings.TrimPrefix(base, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, "GET / HTTP/1.1\r\nHost: x\r\n\r\n"); err != nil {
		t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(conn), nil)
	if err != nil {
		t.Fatal(err)
	}
	return resp
}
