package mcpapi_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
	"testing"
	"time"

	"hasse/internal/httpapi"
	"hasse/internal/limit"
	"hasse/internal/mcpapi"
	"hasse/internal/testwait"
)

// batch is a JSON-RPC batch of n get_recent_events calls with limit 1000, as an outside review
// sent it: a 12 KB body of 100 such calls took 3 GB to answer.
func batch(n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf(`{"jsonrpc":"2.0","id":%d,"method":"tools/call","params":{"name":"get_recent_events","arguments":{"limit":1000}}}`, i+1)
	}
	if n == 1 {
		return items[0]
	}
	return "[" + strings.Join(items, ",") + "]"
}

// postMCP posts body to /mcp with token as a client of MCP 2025-03-26 (no protocol version
// header), the last version with batches, and returns the status and the body.
func (e *env) postMCP(t *testing.T, token, body string) (*http.Response, []byte) {
	t.Helper()
	return e.rest(t, "POST", "/mcp", token, strings.NewReader(body),
		map[string]string{"Content-Type": "application/json", "Accept": "application/json, text/event-stream"})
}

// TestBatchMessagesCountAgainstRateLimits checks that each message of a JSON-RPC batch counts
// against the per-IP and per-user rate limits as a request of its own: a batch that does not fit
// is refused whole, and costs what one refused request costs.
func TestBatchMessagesCountAgainstRateLimits(t *testing.T) {
	for _, tc := range []struct {
		name string
		tune func(*httpapi.Config)
	}{
		{"per IP", func(c *httpapi.Config) { c.IPLimit = limit.Config{Requests: 10, Window: time.Hour} }},
		{"per user", func(c *httpapi.Config) { c.UserLimit = limit.Config{Requests: 10, Window: time.Hour} }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, httpapi.AuthTokens, tc.tune)
			for i, step := range []struct {
				messages int
				status   int
			}{
				{8, 200}, // 8 of 10
				{3, 429}, // 3 more do not fit: the request counts as one, its other 2 messages are not taken
				{1, 200}, // 10 of 10
				{1, 429},
			} {
				resp, body := e.postMCP(t, wallToken, batch(step.messages))
				if resp.StatusCode != step.status {
					t.Fatalf("request %d, a batch of %d: %d %.200s; want %d", i+1, step.messages, resp.StatusCode, body, step.status)
				}
				if step.status == 429 && (!strings.Contains(string(body), `"error_code":"RATE_LIMITED"`) || resp.Header.Get("Retry-After") == "") {
					t.Errorf("request %d: %s, Retry-After %q; want RATE_LIMITED in the error shape", i+1, body, resp.Header.Get("Retry-After"))
				}
				if step.status == 200 && step.messages > 1 {
					var answers []json.RawMessage
					if err := json.Unmarshal(body, &answers); err != nil || len(answers) != step.messages {
						t.Errorf("request %d: %d answers (%v) to a batch of %d", i+1, len(answers), err, step.messages)
					}
				}
			}
		})
	}
}

// TestBatchAnswersShareOneBudget sends the review's batch (100 calls of get_recent_events with
// limit 1000, from a token that is no administrator) to a gateway holding big events, and checks
// that the events of all the answers together stay within the request's budget, the calls past it
// saying so with truncated.
func TestBatchAnswersShareOneBudget(t *testing.T) {
	const budget = 256 << 10
	e := newEnv(t, httpapi.AuthTokens, func(c *httpapi.Config) { c.MCPAnswerBytes = budget })
	for i := range 40 { // 40 events of over 8 KB: 320 KB or more to every call
		e.sim.SetState("sensor.big", fmt.Sprint(i), map[string]any{"blob": strings.Repeat(fmt.Sprint(i%10), 4<<10)})
	}
	cs := e.connect(t, adminToken)
	testwait.For(t, 10*time.Second, "the last big state", func() bool {
		var st mcpapi.EntityState
		return call(t, cs, "get_entity_state", map[string]any{"entity_id": "sensor.big"}, &st) == "" && st.State == "39"
	})

	resp, body := e.postMCP(t, wallToken, batch(100))
	if resp.StatusCode != 200 {
		t.Fatalf("the batch: %d %.300s", resp.StatusCode, body)
	}
	var answers []struct {
		Result struct {
			Structured mcpapi.EventsOutput `json:"structuredContent"`
		} `json:"result"`
		Error json.RawMessage `json:"error"`
	}
	if err := json.Unmarshal(body, &answers); err != nil || len(answers) != 100 {
		t.Fatalf("%d answers (%v), want 100", len(answers), err)
	}
	held, events, truncated := 0, 0, 0
	for _, a := range answers {
		if a.Error != nil {
			t.Fatalf("a call failed: %s", a.Error)
		}
		for _, ev := range a.Result.Structured.Events {
			b, _ := json.Marshal(ev)
			held += len(b)
		}
		events += len(a.Result.Structured.Events)
		if a.Result.Structured.Truncated {
			truncated++
		}
	}
	if held > budget || events == 0 || truncated < 99 {
		t.Errorf("the answers hold %d events, %d bytes of them, %d calls truncated; want at most %d bytes, and at least 99 calls truncated",
			events, held, truncated, budget)
	}
	if len(body) > 4*budget { // the events twice (structured and as text), escaped, and the envelopes of 100 answers
		t.Errorf("the answer is %d bytes, want at most %d", len(body), 4*budget)
	}
}
