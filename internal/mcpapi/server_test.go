package mcpapi

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"github.com/modelcontextprotocol/go-sdk/mcp"
)

// TestPanicIsAnInternalError checks that a tool that panics gives its caller a JSON-RPC internal
// error and the server goes on serving.
func TestPanicIsAnInternalError(t *testing.T) {
	srv := mcp.NewServer(&mcp.Implementation{Name: "test"}, nil)
	srv.AddReceivingMiddleware(recoverPanics(slog.New(slog.DiscardHandler)))
	mcp.AddTool(srv, &mcp.Tool{Name: "boom"}, func(context.Context, *mcp.CallToolRequest, NoInput) (*mcp.CallToolResult, NoInput, error) {
		panic("boom")
	})
	clientEnd, serverEnd := mcp.NewInMemoryTransports()
	ss, err := srv.Connect(t.Context(), serverEnd, nil)
	if err != nil {
		t.Fatal(err)
	}
	cs, err := mcp.NewClient(&mcp.Implementation{Name: "test"}, nil).Connect(t.Context(), clientEnd, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { cs.Close(); ss.Wait() }()
	for range 2 {
		if _, err := cs.CallTool(t.Context(), &mcp.CallToolParams{Name: "boom"}); err == nil || !strings.Contains(err.Error(), "internal error") {
			t.Errorf("a panicking tool answered %v, want an internal error", err)
		}
	}
}
