package halink

import (
	"context"
	"errors"
	"testing"
	"time"

	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// startBanningHA serves a simulator with admin token "t" that bans an address after threshold
// failed logins, until the test ends.
func startBanningHA(t *testing.T, threshold int) *simtest.Home {
	t.Helper()
	return simtest.Start(t, simulator.Config{Token: "t", UserToken: "u", Rate: -1, LoginAttemptsThreshold: threshold})
}

func TestClearFailedLogins(t *testing.T) {
	home := startBanningHA(t, 3)
	sim := home.Simulator
	c, err := New(Config{URL: home.URL, Token: "t"}, nil)
	if err != nil {
		t.Fatal(err)
	}
	ctx := context.Background()
	for round := range 3 { // 6 refused tokens in all, never 3 in a row
		for range 2 {
			if _, err := c.CurrentUser(ctx, "wrong"); !errors.Is(err, ErrAuthInvalid) {
				t.Fatalf("round %d: CurrentUser(wrong) = %v, want ErrAuthInvalid", round, err)
			}
		}
		if err := c.ClearFailedLogins(ctx); err != nil {
			t.Fatalf("round %d: ClearFailedLogins = %v", round, err)
		}
	}
	if b := sim.Banned(); len(b) != 0 {
		t.Errorf("banned %v although the count was cleared after every second failure", b)
	}
	if u, err := c.CurrentUser(ctx, "u"); err != nil || u.Name != "Alex" {
		t.Errorf("CurrentUser(u) = %+v, %v; want Alex", u, err)
	}
}

// TestClearFailedLoginsOwnTokenRefused: while Home Assistant refuses hasse's own token, a try
// would be one more failed login, so none is made.
func TestClearFailedLoginsOwnTokenRefused(t *testing.T) {
	home := startBanningHA(t, 2)
	sim := home.Simulator
	c, _ := startClient(t, &testHA{sim: sim, url: home.URL}, Config{Token: "revoked", AuthRetryDelay: time.Hour}, nil)
	waitStatus(t, c, "the token refused", func(st Status) bool { return errors.Is(st.LastError, ErrAuthInvalid) })
	if err := c.ClearFailedLogins(context.Background()); !errors.Is(err, ErrAuthInvalid) {
		t.Errorf("ClearFailedLogins with a refused own token = %v, want ErrAuthInvalid", err)
	}
	if b := sim.Banned(); len(b) != 0 {
		t.Errorf("banned %v: ClearFailedLogins tried the refused token", b)
	}
}
