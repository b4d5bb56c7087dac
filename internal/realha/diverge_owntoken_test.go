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
// Fails with hasse as of this writing (issue 15, item 4, after its back-off fix): the tries come
// after 1 min, then 2 min, … (doubling), and each is counted now that hasse waits for Home
// Assistant to close a refused connection, so the third, about 3 minutes after the revocation,
// bans hasse's address (and with it every client of this machine). With a threshold of 3 only two
// tries ever are safe; Home Assistant forgets the count only when a login from that address
// succeeds (under auth ha, any client's accepted token checked by hasse does that).
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
