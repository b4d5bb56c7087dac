package httpapi

import (
	"bufio"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hasse/internal/auth"
	"hasse/internal/hub"
)

// hostileRequests returns raw HTTP/1.1 requests that are malformed, oversized or absurd in every
// way the gateway must shrug off.
func hostileRequests() []string {
	get := func(target string) string {
		return "GET " + target + " HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer " + adminToken + "\r\n\r\n"
	}
	post := func(contentType, body string) string {
		return fmt.Sprintf("POST /subscribe_events HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n%s",
			adminToken, contentType, len(body), body)
	}
	var reqs []string
	params := []string{"domain", "entity_id", "events", "event_types", "types", "type", "format", "client_id",
		"changes", "device_class", "label", "throttle", "snapshot"} // area: names are free text; below
	// Values no parameter accepts. (Event types are open-ended: "light..x" or "NaN" is a legal
	// type an integration may fire, so only bytes outside every charset are used.)
	bad := []string{"%FF%FE", "%00", "a%00b", "%C0%AF", "%E2%80%AE", strings.Repeat("x", 3000),
		strings.Repeat("*a", 200), "light.*" + strings.Repeat("?", 300), "<script>", "'%20OR%201=1", "%", "%zz", "\u00e9",
		strings.Repeat("a,", 150), "a b", "%0D%0Aevent:%20x", "\\", "{}", "a;b", "%22quoted%22"}
	for _, p := range params {
		for _, v := range bad {
			reqs = append(reqs, get("/subscribe_events?"+p+"="+v))
		}
	}
	for _, v := range []string{"%00", "a%0Db", "x%0D%0Aevent:%20x", "%FF%FE", "%7F", strings.Repeat("x", 3000)} {
		reqs = append(reqs, get("/subscribe_events?area="+v))
	}
	for _, v := range bad { // tokens in the query, with no header to win over them
		reqs = append(reqs, "GET /subscribe_events?token="+v+" HTTP/1.1\r\nHost: x\r\n\r\n")
	}
	reqs = append(reqs,
		get("/subscribe_events?"+strings.Repeat("domain=a&", 10_000)), // 10,000 repeats: over the header limit
		get("/subscribe_events?domain="+strings.Repeat("a", 1<<20)),   // a 1 MiB query
		get("/%FF%FE"), get("/api/sse/%00"),
		get("/subscribe_events/../../etc/passwd"), // 307: ServeMux cleans the path; nothing is served
		"GET /health HTTP/1.1\r\nHost: x\r\nX-Big: "+strings.Repeat("h", 32<<10)+"\r\n\r\n",
		"GET /health HTTP/1.1\r\nHost: x\r\n"+strings.Repeat("X-Many: y\r\n", 2000)+"\r\n",
		"BREW /subscribe_events HTTP/1.1\r\nHost: x\r\n\r\n",
		"GET /subscribe_events HTTP/9.9\r\nHost: x\r\n\r\n",
		"GET /subscribe_events\r\n\r\n",
		"\x00\x01\x02\x03\r\n\r\n",
		"GET /subscribe_events HTTP/1.1\r\nHost: x\r\nContent-Length: -5\r\n\r\n",
		"POST /subscribe_events HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\n\r\n0\r\n\r\n",
		post("application/json", "{\"events\":"+strings.Repeat("[", 10_000)),
		post("application/json", `{"events":{"$gt":""}}`),
		post("application/json", `[1,2,3]`),
		post("application/json", `"just a string"`),
		post("application/json", "\xff\xfe{}"),
		post("application/json", `{"domain":"`+strings.Repeat("a", 70<<10)+`"}`),
		post("application/x-www-form-urlencoded", "domain=%zz"),
		post("application/x-www-form-urlencoded", strings.Repeat("events=a&", 5000)),
		post("text/plain", "{{{{"),
	)
	for i := 0; len(reqs) < 1100; i++ { // vary the bad values across paths and methods to pass 1,000
		reqs = append(reqs, fmt.Sprintf("PUT /subscribe_events?n=%d HTTP/1.1\r\nHost: x\r\n\r\n", i),
			get(fmt.Sprintf("/subscribe_events?entity_id=%s%d", bad[i%len(bad)], i)))
	}
	return reqs
}

// TestHostileInput sends over a thousand malformed requests on raw connections while a normal
// client streams and another polls /health: each hostile request gets a 4xx or a closed
// connection, never a 5xx, and the normal clients are served throughout.
func TestHostileInput(t *testing.T) {
	log := slog.New(slog.DiscardHandler)
	h, err := hub.New(hub.Config{MaxClients: 2000, MaxClientsPerUser: 2000}, log)
	if err != nil {
		t.Fatal(err)
	}
	tokens, _ := auth.NewStatic([]auth.Entry{{Name: "admin", Token: adminToken, Admin: true}})
	// ReadHeaderTimeout cuts the slowloris requests below. It runs from when the server starts
	// reading a request, so it must also outlast any pause of the normal clients' goroutines on a
	// loaded machine: at 300 ms, a /health poll was now and then cut as if it were slowloris
	// (connection reset) while two test runs shared the cores. 3 s is far past such pauses.
	srv, err := New(Config{Auth: AuthTokens, ReadHeaderTimeout: 3 * time.Second, ShutdownGrace: time.Second},
		h, tokens, func() LinkStatus { return LinkStatus{Connected: true} }, log)
	if err != nil {
		t.Fatal(err)
	}
	addr := serve(t, h, srv)
	base := "http://" + addr

	// The normal clients: a stream receiving a steady flow of events, and a /health poller.
	req, _ := http.NewRequest("GET", base+"/subscribe_events?domain=light&token="+adminToken, nil)
	_, events := openStream(t, req)
	next(t, events)
	var received, healthFailures atomic.Int64
	var failMu sync.Mutex
	var failures []string // why /health failed, for the failure message
	stop := make(chan struct{})
	var normal sync.WaitGroup
	normal.Go(func() {
		for i := 0; ; i++ {
			select {
			case <-stop:
				return
			default:
			}
			h.Publish(stateEvent("light.a", fmt.Sprint(i)))
			if _, ok := <-events; ok {
				received.Add(1)
			}
		}
	})
	normal.Go(func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			resp, err := http.Get(base + "/health")
			if err != nil || resp.StatusCode != 200 {
				healthFailures.Add(1)
				failMu.Lock()
				if err != nil {
					failures = append(failures, err.Error())
				} else {
					failures = append(failures, resp.Status)
				}
				failMu.Unlock()
			}
			if resp != nil {
				resp.Body.Close()
			}
		}
	})

	reqs := hostileRequests()
	statuses := map[string]int{}
	var mu sync.Mutex
	var senders sync.WaitGroup
	work := make(chan string)
	for range 16 {
		senders.Go(func() {
			for raw := range work {
				got := send(t, addr, raw)
				mu.Lock()
				statuses[got]++
				mu.Unlock()
				// net/http itself answers 505 to an HTTP version it does not speak, before any of
				// hasse's code runs; that one answer is HTTP's own, and correct.
				httpVersion := got == "505" && strings.Contains(raw, "HTTP/9.9")
				if !httpVersion && !strings.HasPrefix(got, "4") && got != "closed" && got != "307" {
					t.Errorf("request %.120q answered %s, want a 4xx or a closed connection", raw, got)
				}
			}
		})
	}
	for _, raw := range reqs {
		work <- raw
	}
	// Slowloris: headers that never end are cut at ReadHeaderTimeout.
	for range 8 {
		work <- "GET /health HTTP/1.1\r\nHost: x\r\nX-Slow: "
	}
	close(work)
	senders.Wait()
	close(stop)
	normal.Wait()

	t.Logf("%d hostile requests: %v; normal stream received %d events", len(reqs)+8, statuses, received.Load())
	if len(reqs) < 1000 {
		t.Errorf("only %d hostile requests", len(reqs))
	}
	if received.Load() == 0 || healthFailures.Load() > 0 {
		t.Errorf("normal clients: %d events streamed, %d /health failures %q; want events and no failures", received.Load(), healthFailures.Load(), failures)
	}
	if h.Clients() > 1 {
		t.Errorf("%d streams open after the hostile requests, want only the normal one", h.Clients())
	}
}

// send writes raw on a new connection and returns the response's status code, or "closed" when
// the server closed the connection without one.
func send(t *testing.T, addr, raw string) string {
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Errorf("dial: %v", err)
		return "dial error"
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	go func() { _, _ = io.WriteString(conn, raw) }() // the server may answer before reading it all
	line, err := bufio.NewReader(conn).ReadString('\n')
	if err != nil {
		return "closed"
	}
	fields := strings.Fields(line)
	if len(fields) < 2 {
		return "garbled: " + line
	}
	if fields[1] == "200" {
		return "200 (a stream opened)"
	}
	return fields[1]
}
