//go:build e2e

package main

import (
	"bufio"
	"context"
	"os/exec"
	"strings"
	"testing"
	"time"
)

// curl -N, the README's first stream.
func TestCurlStream(t *testing.T) {
	d := startDemo(t, nil, "--rate", "40")
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, "curl", "-sN", "-H", "Authorization: Bearer "+d.token, d.base+"/subscribe_events")
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("curl: %v", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	lines := bufio.NewScanner(out)
	lines.Buffer(nil, 1<<20)
	var ids int
	for lines.Scan() && ids < 3 {
		if strings.HasPrefix(lines.Text(), "id: ") {
			ids++
		}
	}
	if ids < 3 {
		t.Errorf("curl -N saw %d events, want 3", ids)
	}
}
