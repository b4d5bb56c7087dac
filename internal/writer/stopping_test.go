//go:build linux

package writer

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/hub"
)

// stopsInBacklog is a hub client whose server begins to stop while its backlog is taken: after
// its head went out and before the pool has it.
type stopsInBacklog struct {
	*hub.Client
	stopping func()
}

func (s stopsInBacklog) Backlog() ([]hass.State, []*format.Frame) {
	s.stopping()
	return s.Client.Backlog()
}

// TestAStreamHandedOverAsTheServerStopsGetsItsGoodbye: a stream whose head is out when the
// server begins to stop, before the pool took it, still gets the retry hint and the disconnect
// event every other stream gets, once the hub ends it, and the function Start returned waits for
// that. It used to be closed without a word, and the client, seeing an error, reconnected at
// its own pace rather than the hint's.
func TestAStreamHandedOverAsTheServerStopsGetsItsGoodbye(t *testing.T) {
	h := startHub(t, hub.Config{})
	w := newWriter(t, Config{})
	ctx, cancel := context.WithCancel(context.Background())
	_, wait := w.Start(ctx)
	stopping := func() {
		cancel()                                             // the server stops: the pool takes no more
		h.End(context.Background(), "late", hub.ErrShutdown) // and the hub ends its streams
	}
	srv := httptest.NewServer(http.HandlerFunc(func(rw http.ResponseWriter, r *http.Request) {
		c, err := h.Subscribe(r.Context(), hub.Subscription{ID: "late", User: "u", Format: format.Envelope})
		if err != nil {
			t.Error(err)
			return
		}
		w.Respond(ctx, rw, r, stopsInBacklog{c, stopping}, []byte(": first\n\n"), func() {})
	}))
	defer srv.Close()
	body, err := io.ReadAll(get(t, srv.URL).Body)
	if err != nil {
		t.Fatalf("the stream ended with %v after %q, want its last chunk", err, body)
	}
	if !strings.Contains(string(body), "retry: ") || !strings.Contains(string(body), `"type":"disconnect","reason":"server_shutdown"`) {
		t.Fatalf("the stream ended with %q, want a retry hint and a disconnect event", body)
	}
	wait()
}
