package mcpapi_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/modelcontextprotocol/go-sdk/mcp"
	sse "github.com/tmaxmax/go-sse"
	"go.uber.org/goleak"

	"hasse/internal/auth"
	"hasse/internal/gateway"
	"hasse/internal/gateway/gatewaytest"
	"hasse/internal/halink"
	"hasse/internal/hass"
	"hasse/internal/httpapi"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
	"hasse/internal/ssetest"
	"hasse/internal/stats"
	"hasse/internal/testwait"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// Tokens of the test gateway under auth tokens.
const (
	adminToken  = "admin-secret"
	wallToken   = "wall-secret"   // user wall: no admin, no scope
	scopedToken = "scoped-secret" // user scoped: light state changes only
	callsToken  = "calls-secret"  // user calls: service calls only, of every domain
)

// Home Assistant's tokens of the simulated home, for auth ha: JWTs, as Home Assistant's are.
const (
	haAdminToken = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJoYS1hZG1pbiJ9.rWCzfC4IT4R4A6m4if6hShz25OBQhCLcreKVKpK2DKc"
	haUserToken  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJpc3MiOiJoYS11c2VyIn0.ohAlo4xmrqr6Yum34w_NG_rSRBYBJWB2x2IAEZ_YZX0" // a non-admin Home Assistant user
)

// env is the whole gateway on a loopback port: a simulated Home Assistant (activity driven by the
// test), the real Home Assistant client, hub, statistics and HTTP server.
type env struct {
	base string
	sim  *simtest.Home
}

// newEnv serves the gateway until the test ends, with auth mode authMode (httpapi.AuthTokens or
// httpapi.AuthHA), and waits until the hub holds the home's states. Each tune changes the HTTP
// server's configuration first.
func newEnv(t *testing.T, authMode string, tune ...func(*httpapi.Config)) *env {
	t.Helper()
	sim := simtest.Start(t, simulator.Config{Token: haAdminToken, UserToken: haUserToken, Rate: -1, Seed: 7})
	cfg := gateway.Config{
		HA:    halink.Config{URL: sim.URL, Token: haAdminToken, Redact: hass.DefaultRedact},
		Stats: stats.Config{Interval: 200 * time.Millisecond}, // samples soon enough to wait for
		HTTP:  httpapi.Config{Auth: authMode, Version: "hasse test"},
	}
	if authMode == httpapi.AuthTokens {
		authn, err := auth.NewStatic([]auth.Entry{
			{Name: "admin", Token: adminToken, Admin: true},
			{Name: "wall", Token: wallToken},
			{Name: "scoped", Token: scopedToken, Scopes: &auth.Scopes{Domains: []string{"light"}, EventTypes: []string{"state_changed"}}},
			{Name: "calls", Token: callsToken, Scopes: &auth.Scopes{EventTypes: []string{"call_service"}}},
		})
		if err != nil {
			t.Fatal(err)
		}
		cfg.Authn = authn
	}
	for _, f := range tune {
		f(&cfg.HTTP)
	}
	g := gatewaytest.Start(t, cfg)
	testwait.For(t, 10*time.Second, "the home's states in the hub", func() bool {
		_, ok := g.Hub().State(context.Background(), "light.kitchen")
		return ok
	})
	return &env{base: g.URL(), sim: sim}
}

// bearer adds a token to every request of an HTTP client.
type bearer string

func (b bearer) RoundTrip(r *http.Request) (*http.Response, error) {
	r = r.Clone(r.Context())
	r.Header.Set("Authorization", "Bearer "+string(b))
	return http.DefaultTransport.RoundTrip(r)
}

// connect opens an MCP session to the gateway with token, as any MCP client over Streamable
// HTTP does, until the test ends.
func (e *env) connect(t *testing.T, token string) *mcp.ClientSession {
	t.Helper()
	client := mcp.NewClient(&mcp.Implementation{Name: "hasse-test", Version: "1"}, nil)
	cs, err := client.Connect(context.Background(), &mcp.StreamableClientTransport{
		Endpoint:   e.base + "/mcp",
		HTTPClient: &http.Client{Transport: bearer(token)},
	}, nil)
	if err != nil {
		t.Fatalf("connect with token %q: %v", token, err)
	}
	t.Cleanup(func() { _ = cs.Close() })
	return cs
}

// call calls a tool and decodes its structured output into out (when not nil). It returns the
// tool's error text when the tool refused, "" otherwise.
func call(t *testing.T, cs *mcp.ClientSession, tool string, args map[string]any, out any) string {
	t.Helper()
	res, err := cs.CallTool(context.Background(), &mcp.CallToolParams{Name: tool, Arguments: args})
	if err != nil {
		t.Fatalf("%s(%v): %v", tool, args, err)
	}
	if res.IsError {
		var texts []string
		for _, c := range res.Content {
			if tc, ok := c.(*mcp.TextContent); ok {
				texts = append(texts, tc.Text)
			}
		}
		return "error: " + strings.Join(texts, " ")
	}
	if out != nil {
		b, err := json.Marshal(res.StructuredContent)
		if err != nil {
			t.Fatal(err)
		}
		if err := json.Unmarshal(b, out); err != nil {
			t.Fatalf("%s(%v): structured output %s: %v", tool, args, b, err)
		}
	}
	return ""
}

// rest requests path on the gateway with token and returns the status and the body.
func (e *env) rest(t *testing.T, method, path, token string, body io.Reader, header map[string]string) (*http.Response, []byte) {
	t.Helper()
	req, err := http.NewRequest(method, e.base+path, body)
	if err != nil {
		t.Fatal(err)
	}
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	return ssetest.Do(t, http.DefaultClient, req)
}

// restData requests path with the admin token and returns the "data" of the answer as JSON.
func (e *env) restData(t *testing.T, path string) any {
	t.Helper()
	resp, body := e.rest(t, "GET", path, adminToken, nil, nil)
	var v struct {
		Success bool `json:"success"`
		Data    any  `json:"data"`
	}
	if err := json.Unmarshal(body, &v); err != nil || resp.StatusCode != 200 || !v.Success {
		t.Fatalf("GET %s: %d %s", path, resp.StatusCode, body)
	}
	return v.Data
}

// stream opens an SSE stream on the gateway with token and returns its events until the test ends.
func (e *env) stream(t *testing.T, query, token string) <-chan sse.Event {
	t.Helper()
	req, _ := http.NewRequest("GET", e.base+"/subscribe_events?"+query, nil)
	req.Header.Set("Authorization", "Bearer "+token)
	resp, events := ssetest.Open(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("stream %s: %s", query, resp.Status)
	}
	return events
}

// next reads the next event of a stream.
var next = ssetest.Next
