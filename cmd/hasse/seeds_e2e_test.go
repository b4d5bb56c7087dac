//go:build e2e && seeds

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

// The verbatim seed tier (SPEC.md §11): these tests, and those of browser_seeds_e2e_test.go, run
// the seed documents' example clients, read from the documents at test time, against `hasse demo`.
// The documents are not in the repository, so the tier builds only with the `seeds` tag; `make
// test` adds it where it finds them (HASSE_SEEDS, or ../shared/seeds beside the checkout). Our own
// clients (eventsource_e2e_test.go) use the API in the same ways and run everywhere. They need Node
// and the packages of e2e/package-lock.json; `make test` installs both.

// seedDocument returns the path of seed document name: in the folder HASSE_SEEDS names, or else
// in ../shared/seeds beside the repository.
func seedDocument(t *testing.T, name string) string {
	t.Helper()
	dir := os.Getenv("HASSE_SEEDS")
	if dir == "" {
		dir = filepath.Join("..", "..", "..", "shared", "seeds")
	}
	path, err := filepath.Abs(filepath.Join(dir, name))
	if err == nil {
		_, err = os.Stat(path)
	}
	if err != nil {
		t.Fatalf("the seed tier (-tags seeds) needs the seed documents: %v; set HASSE_SEEDS to their folder", err)
	}
	return path
}

// runSeed runs the example after heading in seed file doc against base with token, and waits
// until its output has a line containing each of wants, in order.
func runSeed(t *testing.T, doc, heading, base, token string, flags []string, wants ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	args := append([]string{"run-seed.mjs", seedDocument(t, doc), heading, base, token}, flags...)
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
