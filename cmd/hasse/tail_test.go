package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"hasse/internal/gateway/gatewaytest"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/creack/pty"
)

// tailRun is `hasse tail` running in the test process with its standard output piped: it
// writes JSON lines.
type tailRun struct {
	lines  chan string // standard output, line by line; closed when tail ends
	stderr lockedBuffer
	stop   func() error // ends tail as SIGINT would and returns run's error
	seen   []string     // the lines read so far, for failure messages
}

// lockedBuffer is a bytes.Buffer that tail writes while the test reads.
type lockedBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func startTail(t *testing.T, environ []string, args ...string) *tailRun {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	pr, pw := io.Pipe()
	tr := &tailRun{lines: make(chan string, 64)}
	errc := make(chan error, 1)
	go func() {
		err := run(ctx, append([]string{"tail"}, args...), environ, pw, &tr.stderr)
		pw.Close()
		errc <- err
	}()
	read := make(chan struct{})
	go func() {
		defer close(read)
		defer close(tr.lines)
		lines := bufio.NewScanner(pr)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			tr.lines <- lines.Text()
		}
	}()
	var once sync.Once
	var err error
	tr.stop = func() error {
		once.Do(func() {
			cancel()
			go func() { // drain what tail still writes, so that it can end
				for range tr.lines {
				}
			}()
			err = <-errc
			<-read
		})
		return err
	}
	t.Cleanup(func() { _ = tr.stop() })
	return tr
}

// tailLine is what the tests read of a JSON line of hasse tail (envelope format).
type tailLine struct {
	ID, Type, Reason, Since string
	Resumed                 bool
}

// next returns the next JSON line, decoded; it fails the test after 20s.
func (tr *tailRun) next(t *testing.T) tailLine {
	t.Helper()
	select {
	case s, ok := <-tr.lines:
		if !ok {
			t.Fatalf("hasse tail ended; stderr:\n%s", tr.stderr.String())
		}
		tr.seen = append(tr.seen, s)
		var l tailLine
		if err := json.Unmarshal([]byte(s), &l); err != nil {
			t.Fatalf("hasse tail printed %q, not a JSON line: %v", s, err)
		}
		return l
	case <-time.After(20 * time.Second):
		t.Fatalf("no line from hasse tail within 20s; stderr:\n%s", tr.stderr.String())
	}
	return tailLine{}
}

// eventSeq splits an event id into its epoch and sequence.
func eventSeq(t *testing.T, id string) (string, int64) {
	t.Helper()
	epoch, seqText, _ := strings.Cut(id, "-")
	seq, err := strconv.ParseInt(seqText, 10, 64)
	if epoch == "" || err != nil {
		t.Fatalf("event id %q: want <epoch>-<sequence>", id)
	}
	return epoch, seq
}

// TestTailResumesAcrossCuts: hasse tail, piped, reads the demo through a proxy that the test
// cuts three times in the middle of the stream. tail reconnects by itself with Last-Event-ID
// and prints every event once, in sequence, across the four connections: nothing lost, nothing
// repeated. Each cut comes after tail has printed some events of the connection it cuts: lines
// tail printed before a cut may still be in the pipe when the test reads them, so counting all
// lines could cut before tail had connected again.
func TestTailResumesAcrossCuts(t *testing.T) {
	d := startDemo(t, nil, "--rate", "40")
	gatewaytest.Ready(t, d.base) // no ha_disconnected error and gap in the way
	proxy := startCutProxy(t, strings.TrimPrefix(d.base, "http://"))
	tr := startTail(t, []string{"HASSE_TOKEN=" + d.token}, "--url", "http://"+proxy.ln.Addr().String(), "--max-wait", "200ms")

	const cuts, every = 3, 25 // every: events of one connection before it is cut
	var (
		epoch                   string
		lastSeq                 int64
		onThisConn, cutN, opens int
	)
	for opens <= cuts || onThisConn < every { // until the connection after the last cut has brought events too
		l := tr.next(t)
		switch {
		case l.Type == "connection":
			if opens++; l.Resumed != (opens > 1) {
				t.Fatalf("connection event %d says resumed %t, want %t; read so far:\n%s", opens, l.Resumed, opens > 1, strings.Join(tr.seen, "\n"))
			}
			onThisConn = 0
		case l.ID == "":
			t.Fatalf("a %s event (%s) on a stream that resumes; read so far:\n%s", l.Type, l.Reason, strings.Join(tr.seen, "\n"))
		default:
			e, seq := eventSeq(t, l.ID)
			if epoch != "" && (e != epoch || seq != lastSeq+1) {
				t.Fatalf("event %s after %s-%d: want every event once, in order; read so far:\n%s", l.ID, epoch, lastSeq, strings.Join(tr.seen, "\n"))
			}
			epoch, lastSeq = e, seq
			if onThisConn++; onThisConn == every && cutN < cuts {
				cutN++
				if n := proxy.cut(); n != 1 {
					t.Fatalf("cut %d closed %d connections, want tail's one", cutN, n)
				}
			}
		}
	}
	if err := tr.stop(); err != nil {
		t.Errorf("hasse tail ended with %v after an interrupt, want nil", err)
	}
	if opens != cuts+1 {
		t.Errorf("%d connection events after %d cuts, want %d", opens, cuts, cuts+1)
	}
	if n := strings.Count(tr.stderr.String(), "stream ended"); n != cuts {
		t.Errorf("stderr announced %d reconnects after %d cuts:\n%s", n, cuts, tr.stderr.String())
	}
}

// TestTailTerminalAndRestart runs the real binary under a pseudo-terminal, and a piped tail
// beside it, while the gateway stops and a new one starts on the same address. Both see the
// gateway go, reconnect by themselves, and report the gap loudly: the new gateway has a new
// epoch and cannot replay what the old one had.
func TestTailTerminalAndRestart(t *testing.T) {
	bin := buildHasse(t)
	tokens := filepath.Join(t.TempDir(), "tokens.yaml")
	const token = "tail-test-token"
	if err := os.WriteFile(tokens, []byte("tokens:\n  - name: tail\n    token: "+token+"\n    admin: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	d := startDemo(t, []string{"MCP_SSE_TOKENS_FILE=" + tokens}, "--rate", "40")

	// A refused token ends the binary with status 3 and the gateway's message.
	var stderr bytes.Buffer
	refused := exec.Command(bin, "tail", "--url", d.base, "--token", "wrong")
	refused.Stderr = &stderr
	if err := refused.Run(); refused.ProcessState.ExitCode() != exitTailAuth || !strings.Contains(stderr.String(), "401 UNAUTHORIZED") {
		t.Errorf("hasse tail with a wrong token: %v, stderr %q; want exit status 3 and the 401", err, stderr.String())
	}

	cmd := exec.Command(bin, "tail", "--url", d.base, "--max-wait", "300ms")
	cmd.Env = append(withoutEnv(os.Environ(), "NO_COLOR", "HASSE_URL"), "TERM=xterm-256color", "HASSE_TOKEN="+token)
	term, err := pty.Start(cmd)
	if err != nil {
		t.Fatal(err)
	}
	screen := make(chan string, 256)
	read := make(chan struct{})
	go func() { // until the terminal's last user is gone (read fails with EIO)
		defer close(read)
		defer close(screen)
		r := bufio.NewReader(term)
		for {
			line, err := r.ReadString('\n')
			if err != nil {
				return
			}
			screen <- strings.TrimRight(line, "\r\n")
		}
	}()
	exited := make(chan error, 1)
	go func() { exited <- cmd.Wait() }()
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		<-exited
		<-read
		term.Close()
	})
	var onScreen []string
	waitScreen := func(what string, match func(string) bool) string {
		t.Helper()
		deadline := time.After(20 * time.Second)
		for {
			select {
			case s, ok := <-screen:
				if !ok {
					t.Fatalf("hasse tail ended before %s; the terminal showed:\n%s", what, strings.Join(onScreen, "\n"))
				}
				onScreen = append(onScreen, s)
				if match(s) {
					return s
				}
			case <-deadline:
				t.Fatalf("no %s within 20s; the terminal showed:\n%s", what, strings.Join(onScreen, "\n"))
			}
		}
	}
	piped := startTail(t, []string{"HASSE_TOKEN=" + token}, "--url", d.base, "--max-wait", "300ms")

	waitScreen("connected line", func(s string) bool { return strings.Contains(s, "connected") })
	waitScreen("coloured state change", func(s string) bool {
		return strings.Contains(s, "\x1b[36mstate_changed\x1b[0m") && strings.Contains(s, "→")
	})
	var lastID string
	for lastID == "" {
		if l := piped.next(t); l.Type != "connection" && l.ID != "" { // the connection event's id is the client's
			lastID = l.ID
		}
	}

	if err := d.stop(); err != nil {
		t.Fatalf("the first gateway ended with %v", err)
	}
	addr := strings.TrimPrefix(d.base, "http://")
	d2 := startDemo(t, []string{"MCP_SSE_TOKENS_FILE=" + tokens, "MCP_HTTP_ADDR=" + addr}, "--rate", "40")
	if d2.base != d.base {
		t.Fatalf("the second gateway listens on %s, want %s", d2.base, d.base)
	}

	waitScreen("disconnect line", func(s string) bool { return strings.Contains(s, "server_shutdown") })
	gap := waitScreen("epoch gap", func(s string) bool { return strings.Contains(s, "GAP") && strings.Contains(s, "(epoch_changed)") })
	if !strings.Contains(gap, "\x1b[1;97;41m GAP \x1b[0m") {
		t.Errorf("gap line %q: want a white-on-red GAP banner", gap)
	}
	waitScreen("state change from the new gateway", func(s string) bool { return strings.Contains(s, "state_changed") })

	oldEpoch, _ := eventSeq(t, lastID)
	var sawDisconnect, sawGap bool
	for {
		l := piped.next(t)
		switch {
		case l.Type == "connection": // its id is the client's
		case l.Type == "disconnect":
			sawDisconnect = l.Reason == "server_shutdown"
		case l.Type == "gap" && l.Reason == "epoch_changed": // the new gateway may add ha_reconnected
			sawGap = true
			if epoch, _ := eventSeq(t, l.Since); epoch != oldEpoch {
				t.Errorf("piped tail's gap is since %q, want an event of the old gateway (%s)", l.Since, oldEpoch)
			}
		case l.ID != "":
			if epoch, _ := eventSeq(t, l.ID); epoch != oldEpoch {
				if !sawDisconnect || !sawGap {
					t.Errorf("event %s of the new gateway came after disconnect %t and gap %t; read:\n%s", l.ID, sawDisconnect, sawGap, strings.Join(piped.seen, "\n"))
				}
				if !strings.Contains(piped.stderr.String(), "*** GAP ***") {
					t.Errorf("piped tail's stderr has no loud gap line:\n%s", piped.stderr.String())
				}
				if err := piped.stop(); err != nil {
					t.Errorf("piped tail ended with %v after an interrupt, want nil", err)
				}
				if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
					t.Fatal(err)
				}
				if err := <-exited; err != nil {
					t.Errorf("hasse tail ended with %v after SIGINT, want exit status 0", err)
				}
				exited <- nil // for the cleanup
				return
			}
		}
	}
}

// withoutEnv is environ without the variables named.
func withoutEnv(environ []string, names ...string) []string {
	var out []string
	for _, kv := range environ {
		k, _, _ := strings.Cut(kv, "=")
		if !slices.Contains(names, k) {
			out = append(out, kv)
		}
	}
	return out
}

// TestTailExitStatuses: what scripts can tell from hasse tail's exit status.
func TestTailExitStatuses(t *testing.T) {
	d := startDemo(t, nil, "--rate", "40")
	gatewaytest.Ready(t, d.base)   // no ha_disconnected error event in the way
	closed := "http://127.0.0.1:1" // nothing listens on port 1
	for _, tc := range []struct {
		name    string
		args    []string
		want    int
		message string // in the error hasse prints
	}{
		{"count reached", []string{"--url", d.base, "--token", d.token, "--count", "3"}, 0, ""},
		{"until reached", []string{"--url", d.base, "--token", d.token, "--until", "300ms"}, 0, ""},
		{"help", []string{"-h"}, 0, ""},
		{"gateway gone", []string{"--url", closed, "--max-retries", "2", "--max-wait", "10ms"}, 1, "giving up after 2 failed attempts"},
		{"unknown flag", []string{"--colour", "never"}, 2, "flag provided but not defined"},
		{"bad colour", []string{"--color", "sometimes"}, 2, "want auto, always or never"},
		{"bad URL", []string{"--url", "ftp://x"}, 2, "--url"},
		{"wrong token", []string{"--url", d.base, "--token", "wrong"}, 3, "401 UNAUTHORIZED"},
		{"bad filter", []string{"--url", d.base, "--token", d.token, "--entity", "light..x"}, 4, `400 INVALID_PARAMETER): invalid parameter "entity_id"`},
	} {
		var stdout, stderr bytes.Buffer
		err := run(context.Background(), append([]string{"tail"}, tc.args...), nil, &stdout, &stderr)
		if got := exitStatus(err); got != tc.want || (tc.message != "" && !strings.Contains(err.Error(), tc.message)) {
			t.Errorf("%s: hasse tail %s: %v, exit status %d; want %d and %q", tc.name, strings.Join(tc.args, " "), err, got, tc.want, tc.message)
		}
		if tc.name == "count reached" {
			if lines := strings.Count(stdout.String(), "\n"); lines != 4 {
				t.Errorf("--count 3 printed %d lines, want the connection event and 3 events:\n%s", lines, stdout.String())
			}
		}
		if tc.name == "help" && !strings.Contains(stderr.String(), "Exit status:") {
			t.Errorf("hasse tail -h printed %q, want the exit statuses", stderr.String())
		}
	}
}

// exitStatus is the status main exits with after err.
func exitStatus(err error) int {
	if err == nil {
		return 0
	}
	return exitCode(err)
}

// TestTailStreamURL: hasse tail's flags become the stream URL's query, as they are.
func TestTailStreamURL(t *testing.T) {
	for _, tc := range []struct {
		environ, args []string
		want          string
	}{
		{nil, nil, "http://127.0.0.1:3000/subscribe_events"},
		{nil, []string{"--domain", "light", "--domain", "switch", "--entity", "sensor.*", "--events", "call_service", "--snapshot", "--throttle", "2s", "--format", "named"},
			"http://127.0.0.1:3000/subscribe_events?domain=light&domain=switch&entity_id=sensor.%2A&events=call_service&format=named&snapshot=1&throttle=2s"},
		{nil, []string{"--url", "gw:3000/custom?token=x", "--area", "kitchen", "--changes", "state"}, "http://gw:3000/custom?area=kitchen&changes=state&token=x"},
		{[]string{"HASSE_URL=https://h.example/"}, []string{"--label", "l1", "--device-class", "motion", "--client-id", "me"},
			"https://h.example/subscribe_events?client_id=me&device_class=motion&label=l1"},
	} {
		f, err := parseTailFlags(tc.args, tc.environ, io.Discard)
		var got string
		if err == nil {
			got, err = f.streamURL()
		}
		if err != nil || got != tc.want {
			t.Errorf("hasse tail %s with %q: URL %q, error %v; want %q", strings.Join(tc.args, " "), tc.environ, got, err, tc.want)
		}
	}
}
