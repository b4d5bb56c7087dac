// Package servetest runs the hasse binary's serve command in a test, as a user runs it, and
// finds where it serves in its log.
package servetest

import (
	"bufio"
	"cmp"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Options say how a test runs and ends a process.
type Options struct {
	Name   string        // names it in failures and in the log the test prints; default "hasse"
	Listen time.Duration // the longest it may take to listen; default 30s
	// Graceful has the test's end stop it with SIGTERM, and fail the test when it is not gone
	// within 20 s. Otherwise the end kills it, as a crash would.
	Graceful bool
}

// Process is one running `hasse serve`.
type Process struct {
	URL string // where it serves: http://127.0.0.1:port

	cmd    *exec.Cmd
	mu     sync.Mutex
	log    strings.Builder
	exited chan struct{}
}

// Start starts cmd, a `hasse serve` whose stderr is not taken yet, and returns once its log says
// where it serves (msg="hasse serving" url=…); it fails the test when the process exits first or
// does not listen within o.Listen. The process dies with the test binary, and ends with the test
// as o says; when the test failed, its log is printed then.
func Start(t testing.TB, cmd *exec.Cmd, o Options) *Process {
	t.Helper()
	o.Name = cmp.Or(o.Name, "hasse")
	o.Listen = cmp.Or(o.Listen, 30*time.Second)
	if cmd.SysProcAttr == nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Pdeathsig: syscall.SIGKILL} // never outlives the tests
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &Process{cmd: cmd, exited: make(chan struct{})}
	urls := make(chan string, 1)
	go func() {
		defer close(p.exited)
		lines := bufio.NewScanner(stderr)
		lines.Buffer(make([]byte, 64<<10), 1<<20)
		for lines.Scan() {
			line := lines.Text()
			p.mu.Lock()
			p.log.WriteString(line + "\n")
			p.mu.Unlock()
			if strings.Contains(line, `msg="hasse serving"`) {
				_, rest, _ := strings.Cut(line, " url=")
				url, _, _ := strings.Cut(rest, " ")
				urls <- url
			}
		}
		_ = cmd.Wait()
	}()
	t.Cleanup(func() {
		if o.Graceful {
			p.stop(t, o.Name)
		} else {
			p.Kill()
		}
		if t.Failed() {
			t.Logf("log of %s:\n%s", o.Name, p.Log())
		}
	})
	select {
	case p.URL = <-urls:
	case <-p.exited:
		t.Fatalf("%s exited at start:\n%s", o.Name, p.Log())
	case <-time.After(o.Listen):
		t.Fatalf("%s did not listen within %s:\n%s", o.Name, o.Listen, p.Log())
	}
	return p
}

// Log returns what the process has logged so far.
func (p *Process) Log() string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.log.String()
}

// Kill ends the process at once, as a crash would, and waits for it.
func (p *Process) Kill() {
	_ = p.cmd.Process.Signal(syscall.SIGKILL)
	<-p.exited
}

// stop asks the process to stop, and kills it and fails the test when it is not gone within 20 s.
func (p *Process) stop(t testing.TB, name string) {
	_ = p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.exited:
	case <-time.After(20 * time.Second):
		p.Kill()
		t.Errorf("%s did not stop within 20s of SIGTERM", name)
	}
}
