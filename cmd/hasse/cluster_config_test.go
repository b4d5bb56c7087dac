package main

import (
	"bytes"
	"context"
	"io"
	"strings"
	"testing"
)

// TestClusterSettings checks that each bad multi-instance setting stops start-up with one line
// naming it (good ones run in TestClusterOfThreeProcesses).
func TestClusterSettings(t *testing.T) {
	serve := []string{"MCP_SSE_AUTH=none", "HA_URL=http://127.0.0.1:1", "HA_TOKEN=x", "MCP_HTTP_ADDR=127.0.0.1:0", "MCP_SSE_STATS_DB=off"}
	for _, tc := range []struct {
		name    string
		args    []string
		environ []string
		mention string
	}{
		{"demo", []string{"demo"}, []string{"MCP_REDIS_URL=redis://127.0.0.1:6379"}, "MCP_REDIS_URL"},
		{"scheme", []string{"serve"}, append(serve, "MCP_REDIS_URL=http://127.0.0.1:6379"), "MCP_REDIS_URL"},
		{"port", []string{"serve"}, append(serve, "MCP_REDIS_URL=redis://127.0.0.1:port"), "MCP_REDIS_URL"},
		{"instance", []string{"serve"}, append(serve, "MCP_REDIS_URL=redis://127.0.0.1:6379", "MCP_REDIS_INSTANCE=a b"), "MCP_REDIS_INSTANCE"},
		{"prefix", []string{"serve"}, append(serve, "MCP_REDIS_URL=redis://127.0.0.1:6379", "MCP_REDIS_PREFIX=ha*"), "MCP_REDIS_PREFIX"},
		{"lease", []string{"serve"}, append(serve, "MCP_REDIS_URL=redis://127.0.0.1:6379", "MCP_REDIS_LEASE=500ms"), "MCP_REDIS_LEASE"},
		{"lease junk", []string{"serve"}, append(serve, "MCP_REDIS_URL=redis://127.0.0.1:6379", "MCP_REDIS_LEASE=long"), "MCP_REDIS_LEASE"},
		{"typo", []string{"serve"}, append(serve, "MCP_REDIS_LEAS=5s"), "MCP_REDIS_LEAS"},
	} {
		var stderr bytes.Buffer
		err := run(context.Background(), tc.args, tc.environ, io.Discard, &stderr)
		if err == nil {
			t.Errorf("%s: run succeeded", tc.name)
			continue
		}
		if msg := err.Error(); exitCode(err) != 2 || strings.Contains(msg, "\n") || !strings.Contains(msg, tc.mention) {
			t.Errorf("%s: exit %d, error %q; want exit 2 and one line naming %q", tc.name, exitCode(err), msg, tc.mention)
		}
	}
}
