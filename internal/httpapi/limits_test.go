package httpapi

import (
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"hasse/internal/hub"
	"hasse/internal/limit"
)

func TestRateLimits(t *testing.T) {
	env := newTestEnv(t, Config{
		IPLimit:   limit.Config{Requests: 5, Window: time.Minute},
		UserLimit: limit.Config{Requests: 2, Window: time.Minute},
	}, hub.Config{})
	get := func(path string) *http.Response {
		req, _ := http.NewRequest("GET", env.url+path, nil)
		resp, body := do(t, req)
		if resp.StatusCode == 429 {
			var e errorBody
			if err := json.Unmarshal(body, &e); err != nil || e.ErrorCode != "RATE_LIMITED" {
				t.Errorf("429 body %q, want RATE_LIMITED", body)
			}
			if s, err := strconv.Atoi(resp.Header.Get("Retry-After")); err != nil || s < 1 {
				t.Errorf("429 Retry-After %q, want whole seconds", resp.Header.Get("Retry-After"))
			}
		}
		return resp
	}
	// The user limit (2) bites first for one token's stream attempts (bad format: each is 400).
	statuses := []int{}
	for range 3 {
		statuses = append(statuses, get("/subscribe_events?token=wall-secret&format=xml").StatusCode)
	}
	if statuses[0] != 400 || statuses[1] != 400 || statuses[2] != 429 {
		t.Errorf("three requests of one user: %v, want 400 400 429 (the user limit is 2)", statuses)
	}
	// The IP limit (5) counts everything, /health included: two more, then refused.
	for i, want := range []int{200, 200, 429} {
		if got := get("/health").StatusCode; got != want {
			t.Errorf("health request %d: %d, want %d", i+4, got, want)
		}
	}
	if env.srv.RateLimited() != 2 {
		t.Errorf("RateLimited() = %d, want 2", env.srv.RateLimited())
	}
}

// TestPreflightsCountAndRetryAfterIsExposed: with CORS origins set, a preflight counts against
// the per-IP limit like any request, and a cross-origin script can read a 429's Retry-After.
func TestPreflightsCountAndRetryAfterIsExposed(t *testing.T) {
	env := newTestEnv(t, Config{
		IPLimit:     limit.Config{Requests: 3, Window: time.Minute},
		CORSOrigins: []string{"https://dash.example"},
	}, hub.Config{})
	send := func(method string) *http.Response {
		req, _ := http.NewRequest(method, env.url+"/health", nil)
		req.Header.Set("Origin", "https://dash.example")
		if method == http.MethodOptions {
			req.Header.Set("Access-Control-Request-Method", "GET")
		}
		resp, _ := do(t, req)
		return resp
	}
	var statuses []int
	for _, m := range []string{http.MethodOptions, http.MethodOptions, http.MethodGet, http.MethodOptions, http.MethodGet} {
		statuses = append(statuses, send(m).StatusCode)
	}
	if !slices.Equal(statuses, []int{204, 204, 200, 429, 429}) {
		t.Errorf("preflight, preflight, GET, preflight, GET under a limit of 3: %v; want 204 204 200 429 429", statuses)
	}
	resp := send(http.MethodGet)
	if exposed := resp.Header.Get("Access-Control-Expose-Headers"); resp.StatusCode != 429 || !strings.Contains(exposed, "Retry-After") {
		t.Errorf("a refused cross-origin GET: %d, Access-Control-Expose-Headers %q; want 429 exposing Retry-After", resp.StatusCode, exposed)
	}
}

func TestClientIP(t *testing.T) {
	s := &Server{cfg: Config{TrustedProxies: []netip.Prefix{netip.MustParsePrefix("10.0.0.0/8"), netip.MustParsePrefix("::1/128")}}}
	for _, tc := range []struct {
		peer, xff, want string
	}{
		{"192.0.2.1:1234", "", "192.0.2.1"},
		{"192.0.2.1:1234", "203.0.113.9", "192.0.2.1"},                // an untrusted peer's header is ignored
		{"10.1.2.3:1234", "203.0.113.9", "203.0.113.9"},               // a trusted proxy's is believed
		{"10.1.2.3:1234", "198.51.100.7, 203.0.113.9", "203.0.113.9"}, // the nearest untrusted hop
		{"10.1.2.3:1234", "203.0.113.9, 10.9.9.9", "203.0.113.9"},     // trusted hops are skipped
		{"10.1.2.3:1234", "garbage, 10.9.9.9", "10.9.9.9"},            // nothing past a garbled hop
		{"10.1.2.3:1234", "", "10.1.2.3"},
		{"[::1]:80", "2001:db8::5", "2001:db8::5"},
		{"[::ffff:192.0.2.1]:80", "", "192.0.2.1"},
	} {
		r := httptest.NewRequest("GET", "/", nil)
		r.RemoteAddr = tc.peer
		if tc.xff != "" {
			r.Header.Set("X-Forwarded-For", tc.xff)
		}
		if got := s.clientIP(r); got != tc.want {
			t.Errorf("clientIP(peer %s, X-Forwarded-For %q) = %s, want %s", tc.peer, tc.xff, got, tc.want)
		}
	}
}
