package hatest

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Options say where a Home runs. Zero fields take the defaults shown.
type Options struct {
	Venv string // the venv of scripts/install-ha.sh; default VenvDir()
	Dir  string // the configuration folder; default a new temporary folder, removed by Close
	// StartTimeout bounds one start, from the process to RUNNING; default 3 minutes (a cold
	// start on a busy 2-core machine compiles Home Assistant's Python).
	StartTimeout time.Duration
}

// Home is one real Home Assistant process and its configuration folder.
type Home struct {
	Dir  string // the configuration folder (.storage, ip_bans.yaml, home-assistant.log)
	Port int
	URL  string // http://127.0.0.1:<port>

	Owner User // the owner (admin), made by onboarding
	Guest User // a non-admin user (group system-users)

	// SlowSetup and SlowEntities make the next starts slow (custom_components/hasse_slow):
	// SlowSetup holds up every integration after the frontend while HTTP already answers
	// (get_config NOT_RUNNING, the garage sensors missing); SlowEntities adds the garage sensors
	// that much after RUNNING (unavailable placeholders with restored: true until then).
	SlowSetup, SlowEntities time.Duration

	opts    Options
	ownDir  bool
	cmd     *exec.Cmd
	exited  chan struct{}
	started time.Time
}

// User is a Home Assistant user and its long-lived access token.
type User struct {
	ID        string
	Name      string
	Username  string
	Password  string
	Token     string // a long-lived access token
	TokenName string // the token's client name, which finds its refresh token
}

// Start makes a fresh configuration folder from the committed home, starts Home Assistant on a
// free loopback port, onboards the owner, makes the non-admin user, places entities in areas
// and returns once Home Assistant says RUNNING. Close ends it.
func Start(ctx context.Context, opts Options) (*Home, error) {
	if opts.Venv == "" {
		opts.Venv = VenvDir()
	}
	if opts.StartTimeout <= 0 {
		opts.StartTimeout = 3 * time.Minute
	}
	h := &Home{opts: opts, Dir: opts.Dir}
	if h.Dir == "" {
		dir, err := os.MkdirTemp("", "hasse-ha-")
		if err != nil {
			return nil, err
		}
		h.Dir, h.ownDir = dir, true
	}
	if err := writeConfig(h.Dir); err != nil {
		h.Close()
		return nil, err
	}
	port, err := freePort()
	if err != nil {
		h.Close()
		return nil, err
	}
	h.Port, h.URL = port, "http://127.0.0.1:"+strconv.Itoa(port)
	if err := h.Resume(ctx); err != nil {
		h.Close()
		return nil, err
	}
	if err := h.onboard(ctx); err != nil {
		h.Close()
		return nil, err
	}
	return h, nil
}

// Resume starts Home Assistant again in the same folder and on the same port, after Stop or
// Kill, and returns once it says RUNNING (once it serves HTTP when the owner does not exist yet).
func (h *Home) Resume(ctx context.Context) error {
	if h.cmd != nil {
		return errors.New("Home Assistant is running")
	}
	ctx, cancel := context.WithTimeout(ctx, h.opts.StartTimeout)
	defer cancel()
	if err := h.Launch(); err != nil {
		return err
	}
	if err := h.WaitHTTP(ctx); err != nil {
		return err
	}
	if h.Owner.Token == "" {
		return nil
	}
	return h.WaitRunning(ctx)
}

// Launch starts the process and returns at once; WaitHTTP and WaitRunning tell when it is up.
// A test of Home Assistant's start-up window launches, then acts while it starts.
func (h *Home) Launch() error {
	if h.cmd != nil {
		return errors.New("Home Assistant is running")
	}
	out, err := os.OpenFile(filepath.Join(h.Dir, "hass.out"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		return err
	}
	cmd := exec.Command(filepath.Join(h.opts.Venv, "bin", "hass"), "-c", h.Dir, "--skip-pip")
	cmd.Env = append(os.Environ(), "HASSE_HA_PORT="+strconv.Itoa(h.Port),
		"HASSE_HA_SLOW_SETUP="+strconv.FormatFloat(h.SlowSetup.Seconds(), 'f', -1, 64),
		"HASSE_HA_SLOW_ENTITIES="+strconv.FormatFloat(h.SlowEntities.Seconds(), 'f', -1, 64))
	cmd.Stdout, cmd.Stderr = out, out
	// Its own process group (Stop and Kill signal the group), killed with the test process even
	// when that dies without cleaning up (a panic, go test's -timeout).
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	if err := cmd.Start(); err != nil {
		out.Close()
		return err
	}
	exited := make(chan struct{})
	go func() {
		_ = cmd.Wait()
		out.Close()
		close(exited)
	}()
	h.cmd, h.exited, h.started = cmd, exited, time.Now()
	return nil
}

// WaitHTTP returns once Home Assistant's HTTP server answers (GET /api/onboarding needs no
// token, so polling it is never a failed login).
func (h *Home) WaitHTTP(ctx context.Context) error {
	for {
		resp, err := http.Get(h.URL + "/api/onboarding")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if err := h.pause(ctx, 100*time.Millisecond); err != nil {
			return fmt.Errorf("Home Assistant did not serve HTTP: %w\n%s", err, h.LogTail(40))
		}
	}
}

// WaitRunning returns once get_config says RUNNING: every integration is set up.
func (h *Home) WaitRunning(ctx context.Context) error {
	for {
		state, err := h.CoreState(ctx)
		if err == nil && state == "RUNNING" {
			return nil
		}
		if err := h.pause(ctx, 200*time.Millisecond); err != nil {
			return fmt.Errorf("Home Assistant is not RUNNING (%s): %w\n%s", state, err, h.LogTail(40))
		}
	}
}

// CoreState is get_config's "state": NOT_RUNNING, STARTING, RUNNING, STOPPING, FINAL_WRITE.
func (h *Home) CoreState(ctx context.Context) (string, error) {
	var cfg struct {
		State string `json:"state"`
	}
	err := h.Command(ctx, h.Owner.Token, map[string]any{"type": "get_config"}, &cfg)
	return cfg.State, err
}

// pause waits d, or fails when ctx ends or the process has exited.
func (h *Home) pause(ctx context.Context, d time.Duration) error {
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-h.exited:
		return errors.New("the process exited")
	case <-time.After(d):
		return nil
	}
}

// Stop ends Home Assistant as a user's shutdown does (SIGTERM: it writes its storage and
// exits), killing it when it has not exited within a minute.
func (h *Home) Stop() error {
	if h.cmd == nil {
		return nil
	}
	_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGTERM)
	select {
	case <-h.exited:
	case <-time.After(time.Minute):
		h.Kill()
		return errors.New("Home Assistant did not stop within a minute; killed")
	}
	h.cmd = nil
	return nil
}

// Kill ends Home Assistant at once, as a power cut would.
func (h *Home) Kill() {
	if h.cmd == nil {
		return
	}
	_ = syscall.Kill(-h.cmd.Process.Pid, syscall.SIGKILL)
	<-h.exited
	h.cmd = nil
}

// Running tells whether the process runs.
func (h *Home) Running() bool {
	if h.cmd == nil {
		return false
	}
	select {
	case <-h.exited:
		return false
	default:
		return true
	}
}

// Close kills Home Assistant and removes the folder Start made.
func (h *Home) Close() {
	h.Kill()
	if h.ownDir {
		os.RemoveAll(h.Dir)
	}
}

// LogTail is the last n lines of Home Assistant's log (of its console output before the log
// exists), for failures.
func (h *Home) LogTail(n int) string {
	data, err := os.ReadFile(filepath.Join(h.Dir, "home-assistant.log"))
	if err != nil {
		data, _ = os.ReadFile(filepath.Join(h.Dir, "hass.out"))
	}
	lines := strings.Split(strings.TrimRight(string(data), "\n"), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return strings.Join(lines, "\n") + "\n"
}

// REST sends a request to Home Assistant's REST API with token (none when empty) and body
// (JSON-encoded unless nil) and returns the status and the body read.
func (h *Home) REST(ctx context.Context, method, path, token string, body any) (int, []byte, error) {
	var r io.Reader
	if body != nil {
		b, err := json.Marshal(body)
		if err != nil {
			return 0, nil, err
		}
		r = bytes.NewReader(b)
	}
	req, err := http.NewRequestWithContext(ctx, method, h.URL+path, r)
	if err != nil {
		return 0, nil, err
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return 0, nil, err
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	return resp.StatusCode, b, err
}

// admin sends a REST request as the owner and fails on any status but 200 and 201.
func (h *Home) admin(ctx context.Context, method, path string, body, out any) error {
	status, b, err := h.REST(ctx, method, path, h.Owner.Token, body)
	if err != nil {
		return err
	}
	if status != http.StatusOK && status != http.StatusCreated {
		return fmt.Errorf("%s %s: %d %s", method, path, status, b)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(b, out)
}

// freePort asks the kernel for a free loopback port.
func freePort() (int, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, err
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port, nil
}
