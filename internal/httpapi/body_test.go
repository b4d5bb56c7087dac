package httpapi

import (
	"bufio"
	"encoding/json"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"hasse/internal/hub"
)

// TestStalledBodiesAreLetGo sends request heads whose bodies never come, on real TCP connections,
// as an attacker without a token would: each gets 408 in the error shape and a closed connection
// once the body timeout has passed, whatever the route. A stream opened by a POST whose body did
// come goes on past that timeout.
func TestStalledBodiesAreLetGo(t *testing.T) {
	env := newTestEnv(t, Config{BodyTimeout: 100 * time.Millisecond}, hub.Config{})
	addr := strings.TrimPrefix(env.url, "http://")

	req, _ := http.NewRequest("POST", env.url+"/subscribe_events", strings.NewReader(`{"token":"`+adminToken+`","domain":"light"}`))
	req.Header.Set("Content-Type", "application/json")
	_, events := openStream(t, req)
	next(t, events) // connection

	for _, head := range []string{
		"POST /subscribe_events HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{\"tok",
		"POST /mcp HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n",
		"POST /get_sse_stats HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n10\r\n{\"token\":",
		"PUT /api/sse/alerts HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + adminToken + "\r\nContent-Length: 100\r\n\r\n",
		"POST /nowhere HTTP/1.1\r\nHost: x\r\nContent-Length: 100\r\n\r\n",
	} {
		conn, err := net.Dial("tcp", addr)
		if err != nil {
			t.Fatal(err)
		}
		_ = conn.SetDeadline(time.Now().Add(30 * time.Second)) // the test's own bound: far beyond the body timeout
		if _, err := io.WriteString(conn, head); err != nil {
			t.Fatal(err)
		}
		br := bufio.NewReader(conn)
		resp, err := http.ReadResponse(br, nil)
		if err != nil {
			t.Fatalf("%.40q: no answer while the body stalls: %v", head, err)
		}
		var got errorBody
		err = json.NewDecoder(resp.Body).Decode(&got)
		resp.Body.Close()
		if resp.StatusCode != http.StatusRequestTimeout || err != nil || got.ErrorCode != "REQUEST_TIMEOUT" {
			t.Errorf("%.40q: %d %+v (%v), want 408 REQUEST_TIMEOUT in the error shape", head, resp.StatusCode, got, err)
		}
		if _, err := br.ReadByte(); err != io.EOF {
			t.Errorf("%.40q: after the answer the connection reads %v, want it closed", head, err)
		}
		conn.Close()
	}

	env.hub.Publish(stateEvent("light.a", "on")) // every stalled body above took longer than the timeout
	if ev := next(t, events); !strings.Contains(ev.Data, `"light.a"`) {
		t.Errorf("the POST stream after the body timeout: %q, want the event", ev.Data)
	}
}
