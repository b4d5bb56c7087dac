package httpapi

import (
	"bufio"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hasse/internal/hub"
)

// TestHandedOverStreamIsPlainHTTP: a stream the pooled writers take over answers as net/http
// would: a dated, chunked HTTP/1.1 response that keeps the connection, which a raw client reads.
func TestHandedOverStreamIsPlainHTTP(t *testing.T) {
	env := newTestEnv(t, Config{}, hub.Config{})
	conn, err := net.Dial("tcp", strings.TrimPrefix(env.url, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	if _, err := conn.Write([]byte("GET /subscribe_events?token=" + adminToken + " HTTP/1.1\r\nHost: x\r\n\r\n")); err != nil {
		t.Fatal(err)
	}
	rd := bufio.NewReader(conn)
	resp, err := http.ReadResponse(rd, nil)
	if err != nil {
		t.Fatal(err)
	}
	// The body is endless: closing it would read to its end. Closing conn ends it.
	date, err := http.ParseTime(resp.Header.Get("Date"))
	switch {
	case resp.StatusCode != 200:
		t.Fatalf("status %d", resp.StatusCode)
	case err != nil || time.Since(date) > time.Minute:
		t.Errorf("Date %q: want the time now", resp.Header.Get("Date"))
	case len(resp.TransferEncoding) != 1 || resp.TransferEncoding[0] != "chunked":
		t.Errorf("transfer encoding %v, want chunked", resp.TransferEncoding)
	case resp.Close:
		t.Error("the response says the connection closes; want keep-alive")
	}
	body := bufio.NewReader(resp.Body)
	for {
		line, err := body.ReadString('\n')
		if err != nil {
			t.Fatalf("stream ended before its connection event: %v", err)
		}
		if strings.Contains(line, `"type":"connection"`) {
			return
		}
	}
}
