//go:build linux

package writer

import (
	"bufio"
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"hasse/internal/format"
	"hasse/internal/hub"
	"hasse/internal/testwait"
)

// rig is a running hub and pool and a loopback listener whose accepted connections the pool
// takes over.
type rig struct {
	t    testing.TB
	hub  *hub.Hub
	pool *Pool
	ln   net.Listener
	stop context.CancelFunc
	done chan struct{}
	ends chan string // connection ids whose onEnd ran
	n    int
}

func startRig(t testing.TB, hcfg hub.Config, pcfg Config) *rig {
	t.Helper()
	hcfg.MaxClients = 1000
	hcfg.MaxClientsPerUser = 1000
	h, err := hub.New(hcfg, slog.New(slog.NewTextHandler(io.Discard, nil)))
	if err != nil {
		t.Fatal(err)
	}
	p, err := NewPool(pcfg)
	if err != nil {
		t.Fatal(err)
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	r := &rig{t: t, hub: h, pool: p, ln: ln, stop: cancel, done: make(chan struct{}), ends: make(chan string, 1000)}
	hubDone := make(chan struct{})
	go func() { _ = h.Run(ctx); close(hubDone) }()
	go func() { _ = p.Run(ctx); <-hubDone; close(r.done) }()
	t.Cleanup(func() { cancel(); <-r.done; ln.Close() })
	return r
}

// dial opens a loopback connection and returns both its ends; the client's closes when the test
// ends, the server's is the test's to hand over or close.
func (r *rig) dial() (client, server net.Conn) {
	r.t.Helper()
	client, err := net.Dial("tcp", r.ln.Addr().String())
	if err != nil {
		r.t.Fatal(err)
	}
	r.t.Cleanup(func() { client.Close() })
	server, err = r.ln.Accept()
	if err != nil {
		r.t.Fatal(err)
	}
	return client, server
}

// connect opens a client connection, subscribes it and hands the server's end to the pool.
func (r *rig) connect() *bufio.Reader {
	r.t.Helper()
	client, server := r.dial()
	r.n++
	id := "c" + strconv.Itoa(r.n)
	c, err := r.hub.Subscribe(context.Background(), hub.Subscription{ID: id, User: "u", Format: format.Named})
	if err != nil {
		r.t.Fatal(err)
	}
	if _, err := io.WriteString(server, head); err != nil {
		r.t.Fatal(err)
	}
	if err := r.pool.Add(c, server, func() { r.ends <- id }); err != nil {
		r.t.Fatal(err)
	}
	resp, err := http.ReadResponse(bufio.NewReader(client), nil)
	if err != nil {
		r.t.Fatal(err)
	}
	return bufio.NewReader(resp.Body) // the chunked coding undone
}

// head begins a response as the HTTP server does before it hands a stream to the pool.
const head = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nTransfer-Encoding: chunked\r\n\r\n"

// frame reads one SSE frame (up to its blank line) and returns its lines.
func frame(t *testing.T, rd *bufio.Reader) []string {
	t.Helper()
	var lines []string
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			t.Fatalf("after %q: %v", lines, err)
		}
		line = strings.TrimSuffix(line, "\n")
		if line == "" {
			return lines
		}
		lines = append(lines, line)
	}
}

func field(lines []string, name string) string {
	for _, l := range lines {
		if v, ok := strings.CutPrefix(l, name+": "); ok {
			return v
		}
	}
	return ""
}

func TestEveryClientGetsEveryEventInOrder(t *testing.T) {
	r := startRig(t, hub.Config{}, Config{})
	readers := []*bufio.Reader{r.connect(), r.connect(), r.connect()}
	const events = 200
	for i := range events {
		r.hub.Publish(stateEvent("light.kitchen", strconv.Itoa(i)))
	}
	for n, rd := range readers {
		for i := range events {
			lines := frame(t, rd)
			if got, want := field(lines, "event"), "state_changed"; got != want {
				t.Fatalf("client %d, event %d: event %q, want %q (%q)", n, i, got, want, lines)
			}
			if data := field(lines, "data"); !strings.Contains(data, `"state":"`+strconv.Itoa(i)+`"`) {
				t.Fatalf("client %d, event %d: data %s", n, i, data)
			}
		}
	}
}

func TestHangUpEndsTheStream(t *testing.T) {
	r := startRig(t, hub.Config{}, Config{})
	client, server := r.dial()
	c, err := r.hub.Subscribe(context.Background(), hub.Subscription{ID: "quiet", User: "u"})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.pool.Add(c, server, func() { r.ends <- "quiet" }); err != nil {
		t.Fatal(err)
	}
	client.Close() // no event and no keep-alive is due: only epoll can tell
	if id := <-r.ends; id != "quiet" {
		t.Fatalf("ended %q", id)
	}
	// The hub unregisters the client on its own goroutine just after onEnd: poll for that.
	testwait.For(t, time.Minute, "the hub lets the client go", func() bool { return r.hub.Clients() == 0 })
}

func TestStalledClientNeitherBlocksOthersNorStays(t *testing.T) {
	r := startRig(t, hub.Config{QueueBytes: 64 << 10}, Config{FinalWriteTimeout: 50 * time.Millisecond, SweepEvery: 10 * time.Millisecond})
	stalled := r.connect() // never read until the end
	reader := r.connect()
	big := strings.Repeat("x", 16<<10)
	const events = 2000 // 32 MB: far more than the stalled socket's buffers and queue hold
	for i := range events {
		r.hub.Publish(stateEvent("sensor.big", big+strconv.Itoa(i)))
		if lines := frame(t, reader); field(lines, "event") != "state_changed" {
			t.Fatalf("event %d: the reading client got %q", i, lines)
		}
	}
	if id := <-r.ends; id != "c1" {
		t.Fatalf("ended %q, want the stalled c1", id)
	}
	// The stalled client, reading at last, finds its stream ended: cut short after what its
	// socket held, or, when the socket took the last words too, with its slow_consumer error.
	rest, err := io.ReadAll(stalled)
	switch {
	case err == io.ErrUnexpectedEOF:
	case err != nil:
		t.Fatalf("the stalled client's body ended with %v", err)
	case !strings.Contains(string(rest), "slow_consumer"):
		t.Fatalf("the stalled client's body ended cleanly without its error: ...%q", rest[max(len(rest)-200, 0):])
	}
	if r.hub.Dropped() != 1 {
		t.Fatalf("dropped %d clients, want 1", r.hub.Dropped())
	}
}

func TestKeepAliveOnAQuietStream(t *testing.T) {
	r := startRig(t, hub.Config{}, Config{KeepAlive: 20 * time.Millisecond, SweepEvery: 10 * time.Millisecond})
	rd := r.connect()
	lines := frame(t, rd)
	if len(lines) != 1 || !strings.HasPrefix(lines[0], ": keepalive ") {
		t.Fatalf("first frame of a quiet stream: %q, want a keep-alive", lines)
	}
}

func TestShutdownSaysGoodbyeAndCloses(t *testing.T) {
	r := startRig(t, hub.Config{}, Config{})
	readers := []*bufio.Reader{r.connect(), r.connect()}
	r.hub.Publish(stateEvent("light.kitchen", "on"))
	for _, rd := range readers {
		frame(t, rd)
	}
	r.stop()
	for _, rd := range readers {
		var last []string
		for {
			lines, err := readFrame(rd)
			if err == io.EOF {
				break
			}
			if err != nil {
				t.Fatal(err)
			}
			last = lines
		}
		if field(last, "event") != "disconnect" || !strings.Contains(field(last, "data"), "server_shutdown") {
			t.Fatalf("last frame %q, want a server_shutdown disconnect", last)
		}
	}
	<-r.done
	_, server := r.dial()
	defer server.Close()
	if err := r.pool.Add(nil, server, nil); err != ErrClosed {
		t.Fatalf("a stopped pool's Add: %v, want ErrClosed", err)
	}
}

func readFrame(rd *bufio.Reader) ([]string, error) {
	var lines []string
	for {
		line, err := rd.ReadString('\n')
		if err != nil {
			return lines, err
		}
		if line = strings.TrimSuffix(line, "\n"); line == "" {
			return lines, nil
		}
		lines = append(lines, line)
	}
}

// TestClientGoneBeforeAdd: connections whose client hung up before the pool took them are closed
// and ended once each, however epoll's first report and the shard's adoption interleave.
func TestClientGoneBeforeAdd(t *testing.T) {
	r := startRig(t, hub.Config{}, Config{})
	const n = 50
	for i := range n {
		client, server := r.dial()
		client.Close()
		id := "gone" + strconv.Itoa(i)
		c, err := r.hub.Subscribe(context.Background(), hub.Subscription{ID: id, User: "u"})
		if err != nil {
			t.Fatal(err)
		}
		if err := r.pool.Add(c, server, func() { r.ends <- id }); err != nil {
			t.Fatal(err)
		}
	}
	seen := map[string]bool{}
	for range n {
		id := <-r.ends
		if seen[id] {
			t.Fatalf("%s ended twice", id)
		}
		seen[id] = true
	}
}

// TestStatusCountsTheWrites reads one stream's raw bytes and checks that the pool's status and
// the client's own count agree with them, and that the shard lets the connection go at its end.
func TestStatusCountsTheWrites(t *testing.T) {
	r := startRig(t, hub.Config{}, Config{Writers: 2})
	client, server := r.dial()
	c, err := r.hub.Subscribe(context.Background(), hub.Subscription{ID: "counted", User: "u", Format: format.Named})
	if err != nil {
		t.Fatal(err)
	}
	if err := r.pool.Add(c, server, func() { r.ends <- "counted" }); err != nil {
		t.Fatal(err)
	}
	const events = 20
	for i := range events {
		r.hub.Publish(stateEvent("light.kitchen", strconv.Itoa(i)))
	}
	var raw []byte
	buf := make([]byte, 4096)
	for strings.Count(string(raw), "event: state_changed") < events {
		n, err := client.Read(buf)
		if err != nil {
			t.Fatalf("after %d bytes: %v", len(raw), err)
		}
		raw = append(raw, buf[:n]...)
	}
	total := func() (conns int, writes, bytes uint64, busy time.Duration) {
		for _, s := range r.pool.Status() {
			conns, writes, bytes, busy = conns+s.Connections, writes+s.Writes, bytes+s.Bytes, busy+s.Busy
		}
		return
	}
	// The counters are added just after the write returns, maybe after the client read it; and
	// the last read may have stopped inside the last event, or a keep-alive may follow. So each
	// look first takes whatever else the socket has (a poll, not a timing assertion).
	counted := func() bool {
		_ = client.SetReadDeadline(time.Now().Add(time.Millisecond))
		if n, _ := client.Read(buf); n > 0 {
			raw = append(raw, buf[:n]...)
		}
		conns, writes, bytes, busy := total()
		return bytes == uint64(len(raw)) && c.BytesSent() == int64(len(raw)) && conns == 1 && writes > 0 && busy > 0
	}
	for deadline := time.Now().Add(time.Minute); !counted(); time.Sleep(time.Millisecond) { // a hang guard, not a timing assertion
		if time.Now().After(deadline) {
			conns, writes, bytes, busy := total()
			t.Fatalf("status: %d connections, %d writes, %d bytes, busy %v; client counted %d bytes; the socket carried %d",
				conns, writes, bytes, busy, c.BytesSent(), len(raw))
		}
	}
	if n := len(r.pool.Status()); n != 2 {
		t.Errorf("Status has %d shards, want 2", n)
	}
	client.Close()
	<-r.ends
	if conns, _, _, _ := total(); conns != 0 {
		t.Errorf("%d connections after the only one ended, want 0", conns)
	}
}
