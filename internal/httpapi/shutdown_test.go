package httpapi

import (
	"bufio"
	"context"
	"errors"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"hasse/internal/auth"
	"hasse/internal/hub"
)

// TestShutdownLetsStuckClientsGo stops a server holding the clients an outside review held it
// up with: a body that never comes, a head that never ends, a connection that sends nothing, and
// a stream that reads nothing. Every timeout that could end them is an hour here, the shutdown
// grace too, so Serve returns only if stopping itself lets each of them go.
func TestShutdownLetsStuckClientsGo(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	h, err := hub.New(hub.Config{QueueBytes: 1 << 20}, log)
	if err != nil {
		t.Fatal(err)
	}
	tokens, _ := auth.NewStatic([]auth.Entry{{Name: "admin", Token: adminToken, Admin: true}})
	hour := time.Hour
	srv, err := New(Config{Auth: AuthTokens, ShutdownGrace: hour, BodyTimeout: hour, ReadHeaderTimeout: hour, IdleTimeout: hour},
		h, tokens, func() LinkStatus { return LinkStatus{Connected: true} }, log)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	hubDone, served := make(chan error, 1), make(chan error, 1)
	go func() { hubDone <- h.Run(ctx) }()
	go func() { served <- srv.Serve(ctx, ln) }()

	dial := func(raw string) net.Conn {
		c, err := net.Dial("tcp", ln.Addr().String())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		_ = c.(*net.TCPConn).SetReadBuffer(4 << 10)
		if _, err := io.WriteString(c, raw); err != nil {
			t.Fatal(err)
		}
		return c
	}
	stuck := map[string]net.Conn{
		"a body that never comes": dial("POST /subscribe_events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tok"),
		"a head that never ends":  dial("GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: a"),
		"nothing sent":            dial(""),
	}
	// Its socket full, the stream's connection is closed as the pool stops, which Serve waits
	// for; what the kernel still sends of it trickles out at the pace of TCP's zero-window probes.
	dial("GET /subscribe_events?token=" + adminToken + " HTTP/1.1\r\nHost: x\r\n\r\n")
	keepAlive := dial("GET /health HTTP/1.1\r\nHost: x\r\n\r\n")
	if resp, err := http.ReadResponse(bufio.NewReader(keepAlive), nil); err != nil || resp.StatusCode != 200 {
		t.Fatalf("a request before the shutdown: %v", err)
	}
	for h.Clients() == 0 { // the stream is registered; fill its socket
		time.Sleep(time.Millisecond) // waiting for the server to take the stream, not timing it
	}
	big := strings.Repeat("x", 8<<10)
	for i := range 200 {
		ev := stateEvent("light.a", big)
		ev.State = big[:i+1]
		h.Publish(ev)
	}

	cancel()
	select {
	case err := <-served:
		if err != nil {
			t.Errorf("Serve: %v", err)
		}
	case <-time.After(30 * time.Second): // every timeout is an hour: only the shutdown itself ends them
		t.Fatal("Serve still running 30 s after it was told to stop")
	}
	<-hubDone
	for name, c := range stuck {
		// Closed means an end of file, or a reset: a server that closes a connection before it
		// has read all the client sent (a head cut short while the machine is busy) resets it.
		_ = c.SetReadDeadline(time.Now().Add(10 * time.Second))
		if n, err := io.Copy(io.Discard, c); err != nil && !errors.Is(err, syscall.ECONNRESET) {
			t.Errorf("%s: the connection was not closed: %v after %d bytes", name, err, n)
		}
	}
}
