//go:build realha

package realha

import (
	"encoding/json"
	"net/http"
	"os"
	"os/exec"
	"testing"
	"time"

	"hasse/internal/hatest"
	"hasse/internal/servetest"
	"hasse/internal/testwait"
)

// served is one `hasse serve` process.
type served struct {
	url  string
	proc *servetest.Process
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
	p := servetest.Start(t, cmd, servetest.Options{Name: "hasse", Listen: 30 * time.Second, Graceful: true})
	return &served{url: p.URL, proc: p}
}

func (s *served) logText() string { return s.proc.Log() }

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
