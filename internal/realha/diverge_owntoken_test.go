//go:build realha && divergence

package realha

import (
	"testing"
	"time"
)

// hasse's own token is revoked while it runs: over the next 190 s hasse tries it at most twice.
// Home Assistant keeps a count of failed logins per address until a login succeeds, which a
// refused token never does, and bans at login_attempts_threshold (3 here): only a back-off that
// stops trying keeps hasse's address unbanned.
//
// Fails with hasse as of this writing (issue 15, item 4): it retries every minute, forever (four
// tries in the window). Home Assistant counted none of them in this run's tests only because hasse
// closes the socket on auth_invalid at once, which cancels Home Assistant's count (aiohttp's
// handler_cancellation); a hasse that waits for Home Assistant to close, as the ban fix does, is
// counted every time and banned at the third.
func TestDivergeOwnTokenBackOff(t *testing.T) {
	t.Parallel()
	h, s, proxy, before := ownTokenRevoked(t)
	time.Sleep(190 * time.Second) // the window watched, not a timing assertion on hasse
	attempts := proxy.connections() - before
	t.Logf("after the revocation: %d connections to Home Assistant in ~190 s; Home Assistant logged %d failed logins; hasse's warnings: %q",
		attempts, failedLogins(t, h), refusalWarnings(s))
	if attempts > 2 {
		t.Errorf("hasse tried its refused token %d times in ~190 s; Home Assistant bans at the third counted refusal", attempts)
	}
	if bans, err := h.BannedIPs(); err != nil || len(bans) > 0 {
		t.Errorf("banned: %v %v", bans, err)
	}
}
