package httpapi

import (
	"context"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"hasse/internal/auth"
	"hasse/internal/hass"
	"hasse/internal/hub"
	"hasse/internal/simulator"
)

// TestRevokedTokenEndsItsStreams opens a stream with a Home Assistant token (auth mode ha), then
// has Home Assistant refuse it: once the validation runs out, the stream gets an error
// unauthorized event and ends.
func TestRevokedTokenEndsItsStreams(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	token := simulator.NewToken()
	sim, err := simulator.New(simulator.Config{Token: token, Rate: -1}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	defer func() { cancel(); wg.Wait() }()
	wg.Go(func() { _ = sim.Run(ctx) })
	haServer := httptest.NewServer(sim)
	defer haServer.Close()
	client, err := hass.New(hass.Config{URL: haServer.URL, Token: token}, log)
	if err != nil {
		t.Fatal(err)
	}
	h, err := hub.New(hub.Config{}, log)
	if err != nil {
		t.Fatal(err)
	}
	authn := auth.NewHA(auth.HAConfig{ValidFor: 50 * time.Millisecond, RejectedFor: time.Millisecond}, client, log)
	srv, err := New(Config{Auth: AuthHA, RevalidateEvery: 20 * time.Millisecond}, h, authn, func() LinkStatus { return LinkStatus{Connected: true} }, log)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, h, srv)

	req, _ := http.NewRequest("GET", "http://"+addr+"/subscribe_events?token="+token, nil)
	resp, events := openStream(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("stream with a valid Home Assistant token: %s", resp.Status)
	}
	next(t, events) // connected
	sim.RefuseAuth(true)
	for {
		ev := next(t, events) // fails after 10 s without one
		if strings.Contains(ev.Data, `"type":"error","error":"unauthorized"`) {
			break
		}
	}
	if _, ok := <-events; ok {
		t.Error("the stream went on after error unauthorized")
	}
}
