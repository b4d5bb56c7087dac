//go:build realha

package realha

import (
	"strings"
	"testing"
	"time"

	"hasse/internal/hatest"
	"hasse/internal/testwait"
)

// ownTokenRevoked runs hasse with a token of an admin user of its own, through a counting
// proxy, and revokes the token (the user's refresh token deleted) once hasse is connected. It
// returns once /health says the token is refused, with the connections hasse had made until the
// revocation.
func ownTokenRevoked(t *testing.T) (h *hatest.Home, s *served, proxy *cutter, before int) {
	t.Helper()
	h = startOwnHome(t)
	ctx := t.Context()
	own, err := h.NewUser(ctx, "hasse", "hasse", true)
	if err != nil {
		t.Fatal(err)
	}
	proxy = startCutter(t, strings.TrimPrefix(h.URL, "http://"))
	s = serveAt(t, "http://"+proxy.ln.Addr().String(), own.Token)
	s.waitConnected(t, 30*time.Second)
	before = proxy.connections()
	if err := h.RevokeToken(ctx, own); err != nil {
		t.Fatal(err)
	}
	testwait.Gently(t, 30*time.Second, "/health says the token is refused", func() bool {
		hl := s.health(t)
		return hl.Status == "degraded" && strings.Contains(hl.Reason, "refused")
	})
	return h, s, proxy, before
}

// refusalWarnings are hasse's log lines above INFO that speak of a refusal.
func refusalWarnings(s *served) []string {
	var lines []string
	for line := range strings.Lines(s.logText()) {
		if strings.Contains(line, "refused") && !strings.Contains(line, "level=INFO") && !strings.Contains(line, "level=DEBUG") {
			lines = append(lines, strings.TrimSpace(line))
		}
	}
	return lines
}

// hasse's own token is revoked while it runs. Home Assistant counts each refused login against
// hasse's address until a login from it succeeds, which a refused token's never does, and bans at
// login_attempts_threshold (3 here). hasse tries the token twice, a minute apart, says in /health
// that it has stopped trying (no next try), logs the refusal and the stop, and is not banned.
// (That it never tries again is TestOwnTokenRefusedTriedTwice's, on a fake clock.)
func TestOwnTokenRevoked(t *testing.T) {
	t.Parallel()
	h, s, proxy, before := ownTokenRevoked(t)
	testwait.Gently(t, 3*time.Minute, "/health says hasse stopped trying", func() bool {
		hl := s.health(t)
		return hl.HA.Code == "token_refused" && hl.HA.RetryAt == "" && strings.Contains(hl.Reason, "stopped trying")
	})
	lines := refusalWarnings(s)
	tries := proxy.connections() - before
	t.Logf("after the revocation: %d connections to Home Assistant; Home Assistant logged %d failed logins; hasse's warnings: %q; /health: %+v",
		tries, failedLogins(t, h), lines, s.health(t))
	if tries != 2 {
		t.Errorf("hasse tried its refused token %d times, want 2", tries)
	}
	if len(lines) != 2 {
		t.Errorf("hasse logged %d warnings about its refused token, want 2: the refusal, then the stop", len(lines))
	}
	if bans, err := h.BannedIPs(); err != nil || len(bans) > 0 {
		t.Errorf("banned: %v %v", bans, err)
	}
}
