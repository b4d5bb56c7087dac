//go:build e2e

package main

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// These tests run the seed documents' example clients, verbatim, against `hasse demo` (SPEC.md
// §11). They need Node and the packages of e2e/package-lock.json; `make test` installs both.

const seeds = "../../../shared/seeds"

// runSeed runs the example after heading in seed file doc against base with token, and waits
// until its output has a line containing each of wants, in order.
func runSeed(t *testing.T, doc, heading, base, token string, flags []string, wants ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	docPath, err := filepath.Abs(filepath.Join(seeds, doc))
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"run-seed.mjs", docPath, heading, base, token}, flags...)
	cmd := exec.CommandContext(ctx, "node", args...)
	cmd.Dir = filepath.Join("..", "..", "e2e")
	cmd.Stderr = os.Stderr
	out, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatalf("node: %v (make test installs Node's packages)", err)
	}
	defer func() { _ = cmd.Process.Kill(); _ = cmd.Wait() }()
	var seen []string
	lines := bufio.NewScanner(out)
	lines.Buffer(nil, 1<<20)
	for lines.Scan() && len(wants) > 0 {
		line := lines.Text()
		seen = append(seen, line)
		if strings.Contains(line, wants[0]) {
			wants = wants[1:]
		}
	}
	if len(wants) > 0 {
		t.Errorf("%s %q: output never showed %q; it was:\n%s", doc, heading, wants[0], strings.Join(seen, "\n"))
	}
}

// Seed 2's HomeAssistantSSE class under eventsource@4 as the global EventSource, with a token.
func TestSeed2HomeAssistantSSE(t *testing.T) {
	d := startDemo(t, nil, "--seed", "3", "--rate", "40")
	runSeed(t, "2-sse-api-reference.md", "## Example Implementation", d.base, d.token, []string{"--global-eventsource"},
		"Connected:", "type: 'connection'", "Event:", "domain: 'light'")
}

// Seed 3's SSEManager class under eventsource@4 as the global EventSource, against auth none.
func TestSeed3SSEManager(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none"}, "--seed", "3", "--rate", "40")
	runSeed(t, "3-sse-api-guide.md", "### Connection Management", d.base, "unused", []string{"--global-eventsource"},
		"Connected to SSE stream", "Received:", "type: 'connection'", "Received:", "type: 'state_changed'")
}

// Seed 4's Node example with eventsource@2 (its default export), against auth none and the named
// format as the server's default.
func TestSeed4NodeClient(t *testing.T) {
	d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_SSE_FORMAT=named"}, "--seed", "3", "--rate", "40")
	runSeed(t, "4-sse-event-subscription.md", "### Node.js Client Example", d.base, "", nil,
		"Connected to Home Assistant", " -> ")
}

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
