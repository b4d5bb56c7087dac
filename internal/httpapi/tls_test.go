package httpapi

import (
	"context"
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"

	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/hub"
	"hasse/internal/testcert"
)

// TestHTTP2ManyStreamsOneConnection serves HTTPS and opens ten streams over one HTTP/2
// connection, more than the six HTTP/1.1 streams a browser allows per origin; each gets its
// events.
func TestHTTP2ManyStreamsOneConnection(t *testing.T) {
	certFile, keyFile, pool := testcert.Write(t, t.TempDir())
	log := slog.New(slog.DiscardHandler)
	h, err := hub.New(hub.Config{Epoch: "tls"}, log)
	if err != nil {
		t.Fatal(err)
	}
	srv, err := New(Config{Auth: AuthNone, TLSCert: certFile, TLSKey: keyFile}, h, nil, func() LinkStatus { return LinkStatus{Connected: true} }, log)
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup // stream readers; they end when the server does
	t.Cleanup(wg.Wait)    // registered first, so it runs after serve's cleanup
	addr := serve(t, h, srv)

	var conns sync.Map // the connections the client made
	client := &http.Client{Transport: &http.Transport{
		TLSClientConfig:   &tls.Config{RootCAs: pool},
		ForceAttemptHTTP2: true,
		DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
			c, err := (&net.Dialer{}).DialContext(ctx, network, addr)
			if err == nil {
				conns.Store(c, true)
			}
			return c, err
		},
	}}
	defer client.CloseIdleConnections()
	const streams = 10
	events := make([]<-chan sse.Event, streams)
	for i := range streams {
		req, _ := http.NewRequest("GET", "https://"+addr+"/subscribe_events?client_id="+fmt.Sprint("s", i), nil)
		resp, err := client.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		if resp.ProtoMajor != 2 || resp.StatusCode != 200 {
			t.Fatalf("stream %d: %s %s, want HTTP/2 200", i, resp.Proto, resp.Status)
		}
		ch := make(chan sse.Event, 8)
		events[i] = ch
		wg.Go(func() {
			defer close(ch)
			defer resp.Body.Close()
			for ev, err := range sse.Read(resp.Body, nil) {
				if err != nil {
					return
				}
				ch <- ev
			}
		})
		next(t, ch) // the connection event
	}
	h.Publish(stateEvent("light.a", "on"))
	for i, ch := range events {
		if ev := next(t, ch); ev.LastEventID != "tls-1" {
			t.Errorf("stream %d got %q, want tls-1", i, ev.LastEventID)
		}
	}
	n := 0
	conns.Range(func(any, any) bool { n++; return true })
	if n != 1 {
		t.Errorf("%d streams used %d connections, want 1", streams, n)
	}
}

func TestTLSMisconfigured(t *testing.T) {
	h, _ := hub.New(hub.Config{}, slog.New(slog.DiscardHandler))
	for _, cfg := range []Config{
		{Auth: AuthNone, TLSCert: "/nonexistent/cert.pem", TLSKey: "/nonexistent/key.pem"},
		{Auth: AuthNone, TLSCert: "/nonexistent/cert.pem"},
	} {
		if _, err := New(cfg, h, nil, nil, slog.New(slog.DiscardHandler)); err == nil {
			t.Errorf("New with TLS %q/%q succeeded", cfg.TLSCert, cfg.TLSKey)
		}
	}
}
