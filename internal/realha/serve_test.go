//go:build realha

package realha

import (
	"bufio"
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"hasse/internal/hatest"
	"hasse/internal/testwait"
)

// served is one `hasse serve` process.
type served struct {
	url    string
	cmd    *exec.Cmd
	mu     sync.Mutex
	log    strings.Builder
	exited chan struct{}
}

// serve runs the hasse binary as a user runs it: `hasse serve` with HA_URL, HA_TOKEN (h's
// owner's token) and env, nothing else switched on; it listens on a free loopback port and keeps
// its statistics under a temporary XDG_STATE_HOME. It returns once hasse listens; the test's
// cleanup stops it with SIGTERM.
func serve(t *testing.T, h *hatest.Home, env ...string) *served {
	t.Helper()
	return serveAt(t, h.URL, h.Owner.Token, env...)
}

// serveAt is serve against haURL with haToken.
func serveAt(t *testing.T, haURL, haToken string, env ...string) *served {
	t.Helper()
	cmd := exec.Command(hasseBin, "serve")
	cmd.Env = append([]string{"PATH=" + os.Getenv("PATH"), "HOME=" + os.Getenv("HOME"),
		"XDG_STATE_HOME=" + t.TempDir(), "HA_URL=" + haURL, "HA_TOKEN=" + haToken,
		"MCP_HTTP_ADDR=127.0.0.1:0"}, env...)
	cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the tests
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	s := &served{cmd: cmd, exited: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		defer close(s.exited)
		lines := bufio.NewScanner(stderr)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		for lines.Scan() {
			line := lines.Text()
			s.mu.Lock()
			s.log.WriteString(line + "\n")
			s.mu.Unlock()
			if strings.Contains(line, `msg="hasse serving"`) {
				_, rest, _ := strings.Cut(line, " url=")
				url, _, _ := strings.Cut(rest, " ")
				urls <- url
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		_ = cmd.Process.Signal(syscall.SIGTERM)
		select {
		case <-s.exited:
		case <-time.After(20 * time.Second):
			_ = cmd.Process.Kill()
			<-s.exited
			t.Error("hasse did not stop within 20s of SIGTERM")
		}
		if t.Failed() {
			t.Logf("hasse's log:\n%s", s.logText())
		}
	})
	select {
	case s.url = <-urls:
	case <-s.exited:
		t.Fatalf("hasse exited at start:\n%s", s.logText())
	case <-time.After(30 * time.Second):
		t.Fatalf("hasse did not listen within 30s:\n%s", s.logText())
	}
	return s
}

func (s *served) logText() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.log.String()
}

// health is hasse's /health.
type health struct {
	Status string `json:"status"`
	Reason string `json:"reason"`
	HA     struct {
		Connected bool   `json:"connected"`
		Version   string `json:"version"`
		Code      string `json:"code"`
		RetryAt   string `json:"retry_at"`
	} `json:"ha"`
}

func (s *served) health(t *testing.T) health {
	t.Helper()
	resp, err := http.Get(s.url + "/health")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("/health: %s", resp.Status)
	}
	var h health
	if err := json.NewDecoder(resp.Body).Decode(&h); err != nil {
		t.Fatal(err)
	}
	return h
}

// waitConnected returns once hasse says it is connected to Home Assistant, and how long that took.
func (s *served) waitConnected(t *testing.T, limit time.Duration) time.Duration {
	t.Helper()
	began := time.Now()
	testwait.Gently(t, limit, "hasse connected to Home Assistant", func() bool { return s.health(t).HA.Connected })
	return time.Since(began)
}

func jsonDecode(resp *http.Response, v any) error {
	defer resp.Body.Close()
	return json.NewDecoder(resp.Body).Decode(v)
}
