package simulator

import (
	"io"
	"net/http"
	"testing"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

func TestAuth(t *testing.T) {
	_, ts := startSim(t, Config{Version: "2024.1.0"})
	for _, tc := range []struct {
		name, auth string
		want       map[string]any // the reply; auth_invalid is followed by a normal close
	}{
		{"admin token", `{"type":"auth","access_token":"` + adminToken + `"}`,
			map[string]any{"type": "auth_ok", "ha_version": "2024.1.0"}},
		{"user token", `{"type":"auth","access_token":"` + userToken + `"}`,
			map[string]any{"type": "auth_ok", "ha_version": "2024.1.0"}},
		{"wrong token", `{"type":"auth","access_token":"nope"}`,
			map[string]any{"type": "auth_invalid", "message": "Invalid access token or password"}},
		{"no token", `{"type":"auth"}`,
			map[string]any{"type": "auth_invalid", "message": "Invalid access token or password"}},
		{"api password", `{"type":"auth","api_password":"secret"}`,
			map[string]any{"type": "auth_invalid", "message": "Invalid access token or password"}},
		{"command before auth", `{"id":1,"type":"get_states"}`,
			map[string]any{"type": "auth_invalid", "message": "Auth message incorrectly formatted: " +
				"extra keys not allowed @ data['id']. Got 1\nnot a valid value for dictionary value @ data['type']. Got 'get_states'"}},
		{"token not a string", `{"type":"auth","access_token":5}`,
			map[string]any{"type": "auth_invalid", "message": "Auth message incorrectly formatted: " +
				"expected str for dictionary value @ data['access_token']. Got 5"}},
		{"no type", `{"access_token":"` + adminToken + `"}`,
			map[string]any{"type": "auth_invalid", "message": "Auth message incorrectly formatted: " +
				"required key not provided @ data['type']. Got None"}},
		{"array", `[1,2]`,
			map[string]any{"type": "auth_invalid", "message": "Auth message incorrectly formatted: expected a dictionary. Got [1, 2]"}},
		{"both secrets", `{"type":"auth","access_token":"` + adminToken + `","api_password":"x"}`,
			map[string]any{"type": "auth_invalid", "message": "Auth message incorrectly formatted: " +
				"two or more values in the same group of exclusion 'auth' @ data[<auth>]"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := dial(t, ts)
			c.send(tc.auth) // before reading auth_required, as home-assistant-js-websocket does
			if diff := cmp.Diff(map[string]any{"type": "auth_required", "ha_version": "2024.1.0"}, c.next()); diff != "" {
				t.Errorf("first message (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tc.want, c.next()); diff != "" {
				t.Errorf("reply to %s (-want +got):\n%s", tc.auth, diff)
			}
			if tc.want["type"] == "auth_invalid" {
				if got := c.closed(); got != websocket.StatusNormalClosure {
					t.Errorf("close status %v, want %v", got, websocket.StatusNormalClosure)
				}
			}
		})
	}
}

func TestAuthInvalidJSONCloses(t *testing.T) {
	_, ts := startSim(t, Config{})
	c := dial(t, ts)
	c.next() // auth_required
	c.send(`{"type":`)
	if got := c.closed(); got != websocket.StatusNormalClosure {
		t.Errorf("close status %v, want %v", got, websocket.StatusNormalClosure)
	}
}

func TestAuthTimeout(t *testing.T) {
	_, ts := startSim(t, Config{}, func(s *Simulator) { s.authTimeout = 50 * time.Millisecond })
	c := dial(t, ts)
	c.next()   // auth_required, then silence
	c.closed() // fails the test if the connection stays open
}

func TestAPIRoot(t *testing.T) {
	_, ts := startSim(t, Config{})
	for _, tc := range []struct {
		name, path, auth string
		status           int
		body             string
	}{
		{"admin", "/api/", "Bearer " + adminToken, http.StatusOK, `{"message":"API running."}`},
		{"user", "/api/", "Bearer " + userToken, http.StatusOK, `{"message":"API running."}`},
		{"wrong token", "/api/", "Bearer nope", http.StatusUnauthorized, "401: Unauthorized"},
		{"no token", "/api/", "", http.StatusUnauthorized, "401: Unauthorized"},
		{"basic auth", "/api/", "Basic " + adminToken, http.StatusUnauthorized, "401: Unauthorized"},
		{"unknown path", "/api/nothing", "Bearer " + adminToken, http.StatusNotFound, "404: Not Found"},
	} {
		req, err := http.NewRequest(http.MethodGet, ts.URL+tc.path, nil)
		if err != nil {
			t.Fatal(err)
		}
		if tc.auth != "" {
			req.Header.Set("Authorization", tc.auth)
		}
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil || resp.StatusCode != tc.status || string(body) != tc.body {
			t.Errorf("%s: GET %s = %d %q (%v), want %d %q", tc.name, tc.path, resp.StatusCode, body, err, tc.status, tc.body)
		}
	}
}
