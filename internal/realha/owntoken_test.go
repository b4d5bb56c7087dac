//go:build realha

package realha

import (
	"strings"
	"testing"
	"time"

	"hasse/internal/hatest"
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
	waitFor(t, 30*time.Second, "/health says the token is refused", func() bool {
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

// hasse's own token is revoked while it runs: hasse says so in /health and in one log line (not
// one per retry: the window covers a retry a minute later), and is not banned.
func TestOwnTokenRevoked(t *testing.T) {
	t.Parallel()
	h, s, proxy, before := ownTokenRevoked(t)
	time.Sleep(65 * time.Second) // the window watched, not a timing assertion on hasse
	lines := refusalWarnings(s)
	t.Logf("after the revocation: %d connections to Home Assistant in ~65 s; Home Assistant logged %d failed logins; hasse's warnings: %q; /health: %+v",
		proxy.connections()-before, failedLogins(t, h), lines, s.health(t))
	if len(lines) != 1 {
		t.Errorf("hasse logged %d warnings about its refused token, want 1", len(lines))
	}
	if bans, err := h.BannedIPs(); err != nil || len(bans) > 0 {
		t.Errorf("banned: %v %v", bans, err)
	}
}
