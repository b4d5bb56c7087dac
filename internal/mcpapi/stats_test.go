package mcpapi_test

import (
	"encoding/json"
	"maps"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/httpapi"
	"hasse/internal/stats"
	"hasse/internal/testwait"
)

// TestStatsToolsAnswerAsREST opens an SSE stream and checks that the statistics tools see it, and
// answer what the REST routes of SPEC.md §6.1 answer.
func TestStatsToolsAnswerAsREST(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	cs := e.connect(t, adminToken)
	events := e.stream(t, "entity_id=sensor.never_there&client_id=mcp-watch", wallToken) // quiet: its figures stay put
	next(t, events)                                                                      // connected: the hub holds it
	// The client can read the connection event before its writer has counted the bytes.
	testwait.For(t, 10*time.Second, "the connection event's bytes counted", func() bool {
		conns, _ := e.restData(t, "/api/sse/connections").(map[string]any)["connections"].([]any)
		if len(conns) != 1 {
			return false
		}
		sent, _ := conns[0].(map[string]any)["bytes_sent"].(float64)
		return sent > 0
	})

	var pageJSON any // as sent: filter.Subscription does not decode back
	if msg := call(t, cs, "list_sse_connections", nil, &pageJSON); msg != "" {
		t.Fatal(msg)
	}
	var page stats.ConnectionPage
	recode(t, pageJSON, &page)
	if len(page.Connections) != 1 || page.Total != 1 || page.Limit != 100 || page.Connections[0].ClientID != "mcp-watch" || page.Connections[0].UserID != "wall" {
		t.Fatalf("list_sse_connections = %+v; want the one open stream, of wall, limit 100", page)
	}
	id := page.Connections[0].ID
	if diff := cmp.Diff(e.restData(t, "/api/sse/connections"), pageJSON, ignoreClock); diff != "" {
		t.Errorf("list_sse_connections differs from GET /api/sse/connections (-rest +tool):\n%s", diff)
	}
	for _, tc := range []struct {
		args  map[string]any
		total int
		n     int
	}{
		{map[string]any{"user_id": "wall"}, 1, 1},
		{map[string]any{"user_id": "admin"}, 0, 0},
		{map[string]any{"offset": 1}, 1, 0},
	} {
		var p stats.ConnectionPage
		call(t, cs, "list_sse_connections", tc.args, &p)
		if p.Total != tc.total || len(p.Connections) != tc.n {
			t.Errorf("list_sse_connections(%v): total %d, %d listed; want %d, %d", tc.args, p.Total, len(p.Connections), tc.total, tc.n)
		}
	}

	var conn any
	if msg := call(t, cs, "get_sse_connection", map[string]any{"connection_id": id}, &conn); msg != "" {
		t.Fatal(msg)
	}
	if diff := cmp.Diff(e.restData(t, "/api/sse/connections/"+id), conn, ignoreClock); diff != "" {
		t.Errorf("get_sse_connection differs from GET /api/sse/connections/{id} (-rest +tool):\n%s", diff)
	}
	if got := call(t, cs, "get_sse_connection", map[string]any{"connection_id": "conn_unknown"}, nil); !strings.Contains(got, `no open connection has the id "conn_unknown"`) {
		t.Errorf("get_sse_connection of an unknown id = %q, want a tool error", got)
	}

	var stJSON any
	if msg := call(t, cs, "get_sse_stats", nil, &stJSON); msg != "" {
		t.Fatal(msg)
	}
	var st stats.WithClients
	recode(t, stJSON, &st)
	if st.ActiveConnections != 1 || len(st.Clients) != 1 || st.Clients[0].ID != id {
		t.Errorf("get_sse_stats: %d active, clients %+v; want the one stream", st.ActiveConnections, st.Clients)
	}
	rest := e.restData(t, "/get_sse_stats").(map[string]any)
	if got, want := keys(stJSON), keys(rest); !slices.Equal(got, want) {
		t.Errorf("get_sse_stats keys %v, POST /get_sse_stats keys %v", got, want)
	}
	if diff := cmp.Diff(rest["clients"], stJSON.(map[string]any)["clients"], ignoreClock); diff != "" {
		t.Errorf("get_sse_stats clients differ from POST /get_sse_stats (-rest +tool):\n%s", diff)
	}

	for _, tc := range []struct {
		args   map[string]any
		period string
	}{
		{nil, "1h"}, // "arguments": null
		{map[string]any{"period": "24h"}, "24h"},
	} {
		var mJSON any
		if msg := call(t, cs, "get_sse_metrics", tc.args, &mJSON); msg != "" {
			t.Fatal(msg)
		}
		var m stats.Metrics
		recode(t, mJSON, &m)
		rest := e.restData(t, "/api/sse/metrics?period="+tc.period).(map[string]any)
		if m.Period != tc.period || m.Metrics.Connections.Current != 1 ||
			!slices.Equal(keys(mJSON.(map[string]any)["metrics"]), keys(rest["metrics"])) {
			t.Errorf("get_sse_metrics(%v) = %+v; want period %s, 1 connection, the keys of GET /api/sse/metrics %v", tc.args, m, tc.period, keys(rest["metrics"]))
		}
	}

	for _, tc := range []struct {
		tool    string
		args    map[string]any
		mention string
	}{
		{"get_sse_metrics", map[string]any{"period": "2h"}, "period"},
		{"list_sse_connections", map[string]any{"limit": 5000}, "limit"},
		{"list_sse_connections", map[string]any{"offset": -1}, "offset"},
		{"get_sse_connection", map[string]any{}, "connection_id"},
	} {
		if got := call(t, cs, tc.tool, tc.args, nil); !strings.HasPrefix(got, "error") || !strings.Contains(got, tc.mention) {
			t.Errorf("%s(%v) = %q, want an error naming %s", tc.tool, tc.args, got, tc.mention)
		}
	}
}

// ignoreClock leaves out of a comparison the figures of a connection that move with the clock
// between two reads: how long it has been open and, while it is younger than a sample, its rate.
var ignoreClock = cmp.FilterPath(func(p cmp.Path) bool {
	mi, ok := p.Last().(cmp.MapIndex)
	return ok && (mi.Key().String() == "duration" || mi.Key().String() == "bytes_per_second")
}, cmp.Ignore())

// recode decodes v, decoded JSON, into out.
func recode(t *testing.T, v, out any) {
	t.Helper()
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}

func keys(v any) []string {
	m, _ := v.(map[string]any)
	return slices.Sorted(maps.Keys(m))
}

// TestStatsToolsShowTheNewFigures opens a stream and reads, through the tools, what the stream
// caused: its protocol, place, duration and bytes, and the statistics' bandwidth, delivery
// success, geography and pools.
func TestStatsToolsShowTheNewFigures(t *testing.T) {
	e := newEnv(t, httpapi.AuthTokens)
	cs := e.connect(t, adminToken)
	events := e.stream(t, "entity_id=sensor.never_there&client_id=mcp-figures", wallToken)
	next(t, events)

	var page stats.ConnectionPage
	testwait.For(t, 10*time.Second, "the stream's first bytes counted", func() bool {
		call(t, cs, "list_sse_connections", nil, &page)
		return len(page.Connections) == 1 && page.Connections[0].BytesSent > 0
	})
	var got struct{ Connection stats.Connection }
	if msg := call(t, cs, "get_sse_connection", map[string]any{"connection_id": page.Connections[0].ID}, &got); msg != "" {
		t.Fatal(msg)
	}
	c := got.Connection
	if c.Protocol != "HTTP/1.1" || c.TLS || c.Network != "loopback" || c.IPVersion != "IPv4" || c.BytesSent == 0 || c.Duration < 0 {
		t.Errorf("get_sse_connection = %+v, want a plain HTTP/1.1 stream from loopback that has been sent bytes", c)
	}
	var st stats.WithClients
	call(t, cs, "get_sse_stats", nil, &st)
	if st.Protocols["HTTP/1.1"] != 1 || st.Geography.Networks["loopback"] != 1 || st.BytesSent < c.BytesSent ||
		st.Delivery.SuccessRate != 100 || st.ConnectionPool.Pooled != 1 || st.ThreadPool.Goroutines == 0 ||
		len(st.ConnectionDuration.Distribution) != 7 || st.ConnectionDuration.Max < c.Duration {
		t.Errorf("get_sse_stats = %+v", st.Stats)
	}
	var m stats.Metrics
	testwait.For(t, 10*time.Second, "a sample with the stream's bytes", func() bool {
		call(t, cs, "get_sse_metrics", nil, &m)
		return m.Metrics.Resources.Network.BytesSent > 0
	})
	if m.Metrics.Events.Delivery.SuccessRate.Average != 100 || m.Metrics.Resources.Goroutines.Current == 0 {
		t.Errorf("get_sse_metrics = %+v", m.Metrics)
	}
}
