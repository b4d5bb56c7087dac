//go:build e2e

package main

import (
	"bufio"
	"bytes"
	"context"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// startNode runs node e2e/<script> args… for at most limit and returns its stdout, line by line;
// the channel closes when the script ends. When the test ends the script's stdin is closed (its
// cue to close Chromium and exit) and the test waits for it, failing if it failed.
func startNode(t *testing.T, limit time.Duration, script string, args ...string) <-chan string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), limit)
	t.Cleanup(cancel) // after the cleanup below, which waits for the script
	cmd := exec.CommandContext(ctx, "node", append([]string{script}, args...)...)
	cmd.Dir = filepath.Join("..", "..", "e2e")
	// SIGTERM, not SIGKILL: the driver then closes Chromium instead of leaving it behind.
	cmd.Cancel = func() error { return cmd.Process.Signal(syscall.SIGTERM) }
	cmd.WaitDelay = 10 * time.Second
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v (make test installs Node and its packages)", err)
	}
	raw, quit, done := make(chan string), make(chan struct{}), make(chan struct{})
	go func() {
		defer close(done)
		defer close(raw)
		lines := bufio.NewScanner(stdout)
		lines.Buffer(nil, 1<<20)
		for lines.Scan() {
			select {
			case raw <- lines.Text():
			case <-quit: // keep reading to EOF, so the script never blocks on a full pipe
			}
		}
	}()
	t.Cleanup(func() {
		stdin.Close()
		close(quit)
		<-done
		if err := cmd.Wait(); err != nil {
			t.Errorf("%s: %v\n%s", script, err, stderr.String())
		}
	})
	return raw
}
