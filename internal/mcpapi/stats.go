package mcpapi

import (
	"cmp"
	"context"
	"errors"
	"strconv"
	"strings"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"hasse/internal/stats"
)

// The statistics tools answer what the REST routes of SPEC.md §6.1 answer, from the same code
// ([stats.Collector]), and only to administrators, as those routes do (SPEC.md §5.2).

// NoInput is the input of a tool that takes none.
type NoInput struct{}

// ListConnectionsInput is the input of list_sse_connections, as GET /api/sse/connections takes.
type ListConnectionsInput struct {
	Limit  int    `json:"limit,omitempty" jsonschema:"connections per page; default 100"`
	Offset int    `json:"offset,omitempty" jsonschema:"connections to skip, oldest first; default 0"`
	UserID string `json:"user_id,omitempty" jsonschema:"only this user's connections (a token's name, or a Home Assistant user id)"`
}

// ConnectionInput is the input of get_sse_connection.
type ConnectionInput struct {
	ConnectionID string `json:"connection_id" jsonschema:"the connection's id (conn_…), as list_sse_connections shows it"`
}

// ConnectionOutput is the output of get_sse_connection, as GET /api/sse/connections/{id} answers.
type ConnectionOutput struct {
	Connection stats.Connection `json:"connection"`
}

// MetricsInput is the input of get_sse_metrics.
type MetricsInput struct {
	Period string `json:"period,omitempty" jsonschema:"the period the figures cover; default 1h"`
}

var errAdminOnly = errors.New("the statistics tools are for administrators only")

// admin returns nil when the request's user is an administrator, else why not.
func admin(ctx context.Context) error {
	u, err := userOf(ctx)
	switch {
	case err != nil:
		return err
	case !u.Admin:
		return errAdminOnly
	}
	return nil
}

func (s *Server) addStatsTools(srv *mcp.Server) {
	mcp.AddTool(srv, &mcp.Tool{
		Name:         "get_sse_stats",
		Description:  "The gateway's SSE statistics now (active connections, events sent and per second, latency, memory, CPU, uptime, backlog, alerts; bytes sent and per second, delivery success rate, connection durations, protocols, where clients connect from, disk I/O, connection and thread pools) and every open connection. Administrators only.",
		Annotations:  readOnly,
		InputSchema:  schemaFor[NoInput](nil),
		OutputSchema: schemaFor[stats.WithClients](nil),
	}, s.getStats)
	mcp.AddTool(srv, &mcp.Tool{
		Name:        "list_sse_connections",
		Description: "The open SSE connections, oldest first, a page at a time: who, from where (address, network, country), their filters, events and bytes sent, protocol, how long open. Administrators only.",
		Annotations: readOnly,
		InputSchema: schemaFor[ListConnectionsInput](func(p map[string]*jsonschema.Schema) {
			bounded(p["limit"], 1, 1000)
			bounded(p["offset"], 0, 1<<30)
		}),
		OutputSchema: schemaFor[stats.ConnectionPage](nil),
	}, s.listConnections)
	mcp.AddTool(srv, &mcp.Tool{
		Name:         "get_sse_connection",
		Description:  "One open SSE connection by its id. Administrators only.",
		Annotations:  readOnly,
		InputSchema:  schemaFor[ConnectionInput](nil),
		OutputSchema: schemaFor[ConnectionOutput](nil),
	}, s.getConnection)
	mcp.AddTool(srv, &mcp.Tool{
		Name:        "get_sse_metrics",
		Description: "Connections and their durations, event rate, delivery success rate, delivery latency (p50, p95, p99 in ms), memory, CPU, bandwidth, disk I/O, goroutines and threads over a period: current, peak (or worst) and average. Administrators only.",
		Annotations: readOnly,
		InputSchema: schemaFor[MetricsInput](func(p map[string]*jsonschema.Schema) {
			p["period"].Enum = []any{"1h", "24h", "7d", "30d"}
		}),
		OutputSchema: schemaFor[stats.Metrics](nil),
	}, s.getMetrics)
}

func (s *Server) getStats(ctx context.Context, _ *mcp.CallToolRequest, _ NoInput) (*mcp.CallToolResult, stats.WithClients, error) {
	if err := admin(ctx); err != nil {
		return nil, stats.WithClients{}, err
	}
	return nil, s.stats.StatsWithClients(ctx), nil
}

func (s *Server) listConnections(ctx context.Context, _ *mcp.CallToolRequest, in ListConnectionsInput) (*mcp.CallToolResult, stats.ConnectionPage, error) {
	if err := admin(ctx); err != nil {
		return nil, stats.ConnectionPage{}, err
	}
	return nil, s.stats.Connections(ctx, in.UserID, cmp.Or(in.Limit, 100), in.Offset), nil
}

func (s *Server) getConnection(ctx context.Context, _ *mcp.CallToolRequest, in ConnectionInput) (*mcp.CallToolResult, ConnectionOutput, error) {
	if err := admin(ctx); err != nil {
		return nil, ConnectionOutput{}, err
	}
	conn, ok := s.stats.Connection(ctx, in.ConnectionID)
	if !ok {
		return nil, ConnectionOutput{}, errors.New("no open connection has the id " + strconv.Quote(clip(in.ConnectionID)))
	}
	return nil, ConnectionOutput{conn}, nil
}

func (s *Server) getMetrics(ctx context.Context, _ *mcp.CallToolRequest, in MetricsInput) (*mcp.CallToolResult, stats.Metrics, error) {
	if err := admin(ctx); err != nil {
		return nil, stats.Metrics{}, err
	}
	m, err := s.stats.Metrics(ctx, cmp.Or(in.Period, "1h"))
	if errors.Is(err, stats.ErrPeriod) {
		err = errors.New(`invalid parameter "period": use 1h, 24h, 7d or 30d`)
	}
	return nil, m, err
}

// clip shortens a caller's string before it goes into a message.
func clip(s string) string {
	if len(s) > 64 {
		return strings.ToValidUTF8(s[:64], "") + "…"
	}
	return s
}
