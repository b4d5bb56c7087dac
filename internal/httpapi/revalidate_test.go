package httpapi_test

import (
	"net/http"
	"net/netip"
	"strings"
	"testing"
	"time"

	"hasse/internal/auth"
	"hasse/internal/gateway"
	"hasse/internal/gateway/gatewaytest"
	"hasse/internal/halink"
	"hasse/internal/httpapi"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
	"hasse/internal/ssetest"
)

// TestRevokedTokenEndsItsStreams opens a stream with a Home Assistant token (auth mode ha), then
// has Home Assistant refuse it: once the validation runs out, the stream gets an error
// unauthorized event and ends.
func TestRevokedTokenEndsItsStreams(t *testing.T) {
	token := simulator.NewToken()
	sim, base := startHAGateway(t, simulator.Config{Token: token},
		auth.HAConfig{ValidFor: 50 * time.Millisecond, RejectedFor: time.Millisecond},
		httpapi.Config{Auth: httpapi.AuthHA, RevalidateEvery: 20 * time.Millisecond})

	req, _ := http.NewRequest("GET", base+"/subscribe_events?token="+token, nil)
	resp, events := ssetest.Open(t, req)
	if resp.StatusCode != 200 {
		t.Fatalf("stream with a valid Home Assistant token: %s", resp.Status)
	}
	ssetest.Next(t, events) // connected
	sim.RefuseAuth(true)
	for {
		ev := ssetest.Next(t, events) // fails after 10 s without one
		if strings.Contains(ev.Data, `"type":"error","error":"unauthorized"`) {
			break
		}
	}
	if _, ok := <-events; ok {
		t.Error("the stream went on after error unauthorized")
	}
}

// startHAGateway serves a gateway under auth mode ha (authn tuned by haCfg) in front of a
// simulated Home Assistant (no activity) until the test ends, and returns the simulator and the
// gateway's base URL.
func startHAGateway(t *testing.T, simCfg simulator.Config, haCfg auth.HAConfig, cfg httpapi.Config) (*simtest.Home, string) {
	t.Helper()
	simCfg.Rate = -1
	sim := simtest.Start(t, simCfg)
	g := gatewaytest.Start(t, gateway.Config{HA: halink.Config{URL: sim.URL, Token: simCfg.Token}, AuthHA: haCfg, HTTP: cfg})
	return sim, g.URL()
}

// TestBogusTokensLockOutOnlyTheirSender: a client sending bogus JWT-shaped tokens soon gets
// 503 for its unknown ones, but a new user's real token from another address is still checked
// with Home Assistant and let in (the review's M5: ~75 bogus tokens a minute locked every user
// not yet cached out).
func TestBogusTokensLockOutOnlyTheirSender(t *testing.T) {
	userToken := simulator.NewToken()
	_, base := startHAGateway(t, simulator.Config{Token: simulator.NewToken(), UserToken: userToken},
		auth.HAConfig{Refusals: 3, RefusalEvery: time.Hour},
		httpapi.Config{Auth: httpapi.AuthHA, TrustedProxies: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")}})
	status := func(from, token string) int {
		t.Helper()
		req, _ := http.NewRequest("GET", base+"/subscribe_events", nil)
		req.Header.Set("Authorization", "Bearer "+token)
		req.Header.Set("X-Forwarded-For", from)
		resp, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	for i := range 10 {
		want := http.StatusUnauthorized
		if i >= 3 {
			want = http.StatusServiceUnavailable
		}
		if got := status("203.0.113.7", simulator.NewToken()); got != want {
			t.Errorf("bogus token %d from the attacker: %d, want %d", i, got, want)
		}
	}
	if got := status("192.0.2.10", userToken); got != http.StatusOK {
		t.Errorf("a new user's real token from another address: %d, want 200", got)
	}
}
