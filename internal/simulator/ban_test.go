package simulator

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
	"github.com/google/go-cmp/cmp"
)

// tryLogin authenticates one WebSocket connection with auth and returns the reply's type. After
// a refusal it waits for the simulator to close the connection, which it does once the failed
// login is counted.
func tryLogin(t *testing.T, ts *httptest.Server, auth string) string {
	t.Helper()
	c := dial(t, ts)
	c.send(auth)
	c.next() // auth_required
	typ, _ := c.next()["type"].(string)
	if typ != "auth_ok" {
		if _, _, err := c.ws.Read(context.Background()); err == nil {
			t.Errorf("after %s the connection stayed open", typ)
		}
	}
	_ = c.ws.CloseNow()
	return typ
}

// upgradeStatus is the HTTP status of a WebSocket upgrade request to ts.
func upgradeStatus(t *testing.T, ts *httptest.Server) int {
	t.Helper()
	ws, resp, err := websocket.Dial(context.Background(), "ws"+strings.TrimPrefix(ts.URL, "http")+"/api/websocket", nil)
	if err == nil {
		_ = ws.CloseNow()
	}
	if resp == nil {
		t.Fatalf("upgrade: no response: %v", err)
	}
	return resp.StatusCode
}

func TestLoginAttemptsBan(t *testing.T) {
	const (
		good = `{"type":"auth","access_token":"` + adminToken + `"}`
		bad  = `{"type":"auth","access_token":"nope"}`
	)
	for _, tc := range []struct {
		name       string
		threshold  int
		logins     []string // in order, from 127.0.0.1
		wantBanned bool
	}{
		{"off", 0, []string{bad, bad, bad, bad, bad}, false},
		{"below the threshold", 3, []string{bad, bad}, false},
		{"at the threshold", 3, []string{bad, bad, bad}, true},
		{"a success clears the count", 3, []string{bad, bad, good, bad, bad}, false},
		{"a malformed message is no attempt", 3, []string{bad, bad, `{"type":"auth","access_token":5}`, `[1]`}, false},
		{"no token is an attempt", 2, []string{bad, `{"type":"auth"}`}, true},
	} {
		t.Run(tc.name, func(t *testing.T) {
			s, ts := startSim(t, Config{LoginAttemptsThreshold: tc.threshold})
			for _, auth := range tc.logins {
				tryLogin(t, ts, auth)
			}
			var want []netip.Addr
			if tc.wantBanned {
				want = []netip.Addr{netip.MustParseAddr("127.0.0.1")}
			}
			if diff := cmp.Diff(want, s.Banned(), cmp.Comparer(func(a, b netip.Addr) bool { return a == b })); diff != "" {
				t.Errorf("Banned() (-want +got):\n%s", diff)
			}
			wantStatus := http.StatusSwitchingProtocols
			if tc.wantBanned {
				wantStatus = http.StatusForbidden
			}
			if got := upgradeStatus(t, ts); got != wantStatus {
				t.Errorf("WebSocket upgrade after the logins: %d, want %d", got, wantStatus)
			}
		})
	}
}

func TestBanIsForEveryRequest(t *testing.T) {
	s, ts := startSim(t, Config{LoginAttemptsThreshold: 2})
	for range 2 { // REST 401s count as HA's ban middleware counts them
		req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/", nil)
		req.Header.Set("Authorization", "Bearer nope")
		resp, err := ts.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusUnauthorized {
			t.Fatalf("GET /api/ with a wrong token: %d, want 401", resp.StatusCode)
		}
	}
	if len(s.Banned()) != 1 {
		t.Fatalf("Banned() = %v after 2 failed logins with threshold 2", s.Banned())
	}
	req, _ := http.NewRequest(http.MethodGet, ts.URL+"/api/", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken)
	resp, err := ts.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusForbidden {
		t.Errorf("GET /api/ with the admin token from a banned address: %d, want 403", resp.StatusCode)
	}
	if got := upgradeStatus(t, ts); got != http.StatusForbidden {
		t.Errorf("WebSocket upgrade from a banned address: %d, want 403", got)
	}
}

func TestNewToken(t *testing.T) {
	a, b := NewToken(), NewToken()
	if a == b {
		t.Fatalf("NewToken twice gave %q", a)
	}
	parts := strings.Split(a, ".")
	if len(parts) != 3 {
		t.Fatalf("NewToken() = %q, want three parts", a)
	}
	var header, payload map[string]any
	for i, v := range []*map[string]any{&header, &payload} {
		b, err := base64.RawURLEncoding.DecodeString(parts[i])
		if err != nil || json.Unmarshal(b, v) != nil {
			t.Fatalf("part %d of %q is not base64url JSON: %v", i, a, err)
		}
	}
	if diff := cmp.Diff(map[string]any{"alg": "HS256", "typ": "JWT"}, header); diff != "" {
		t.Errorf("header (-want +got):\n%s", diff)
	}
	iss, _ := payload["iss"].(string)
	iat, _ := payload["iat"].(float64)
	exp, _ := payload["exp"].(float64)
	if len(iss) != 32 || iat == 0 || exp <= iat {
		t.Errorf("payload %v: want a 32-character iss, iat, and a later exp", payload)
	}
	if sig, err := base64.RawURLEncoding.DecodeString(parts[2]); err != nil || len(sig) != 32 {
		t.Errorf("signature %q: %d bytes, %v; want 32", parts[2], len(sig), err)
	}
	_, ts := startSim(t, Config{Token: a, UserToken: b})
	if got := tryLogin(t, ts, `{"type":"auth","access_token":"`+b+`"}`); got != "auth_ok" {
		t.Errorf("login with a NewToken user token: %s, want auth_ok", got)
	}
}

// TestFailedLoginCountedAfterTheReply: as Home Assistant does, the simulator counts a failed login
// FailedLoginDelay after its auth_invalid and closes the connection only then, so a successful
// login made as soon as auth_invalid arrives resets nothing, and the counts pile up to a ban; one
// made after the close resets the count.
func TestFailedLoginCountedAfterTheReply(t *testing.T) {
	for _, tc := range []struct {
		name       string
		waitClose  bool // log in again only once the refused connection is closed
		wantBanned bool
	}{
		{"login racing the count", false, true},
		{"login after the close", true, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				const delay = 3 * time.Second
				s, p := startPipeSimulator(t, Config{LoginAttemptsThreshold: 2, FailedLoginDelay: delay})
				var reclosed []*client
				for range 2 {
					start := time.Now()
					refused := p.try("wrong", nil)
					if got := refused.next(); got["type"] != "auth_invalid" || time.Since(start) != 0 {
						t.Fatalf("reply %v after %v, want auth_invalid at once", got, time.Since(start))
					}
					if tc.waitClose {
						refused.closed()
						if waited := time.Since(start); waited != delay {
							t.Errorf("refused connection closed after %v, want %v", waited, delay)
						}
					}
					p.login(adminToken, nil) // hasse's reset of the count
					reclosed = append(reclosed, refused)
				}
				for _, c := range reclosed {
					c.closed()
				}
				if banned := len(s.Banned()) == 1; banned != tc.wantBanned {
					t.Errorf("Banned() = %v, want banned %v", s.Banned(), tc.wantBanned)
				}
			})
		})
	}
}
