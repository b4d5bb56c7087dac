package auth

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/halink"
	"hasse/internal/hass"
	"hasse/internal/simulator"
)

// nopSink takes the link's events and drops them.
type nopSink struct{}

func (nopSink) Publish(*hass.Event)    {}
func (nopSink) Connected([]hass.State) {}
func (nopSink) Disconnected()          {}

// TestHAKeepsTheLinkUnbanned hammers a Home Assistant that bans an address after 3 failed logins
// in a row (as ip_ban_enabled with login_attempts_threshold 3 does) with bad tokens, one after
// another and all at once, while hasse's own link runs from the same address: nothing gets banned,
// the link stays up, and good tokens still authenticate. As Home Assistant does, the simulator
// counts each failed login a while after its auth_invalid, and closes the connection only then.
func TestHAKeepsTheLinkUnbanned(t *testing.T) {
	for _, tc := range []struct {
		name      string
		cfg       HAConfig
		allAsked  bool          // every bad JWT reaches Home Assistant: the bucket never runs dry
		refreshed time.Duration // the clock moves this far after each round
		wantAsked int64         // questions to Home Assistant, the admin token's first included
	}{
		{"refusals rationed", HAConfig{}, false, time.Minute, 1 + 3 + 3},
		{"every refusal asked", HAConfig{RefusalEvery: time.Nanosecond, Timeout: time.Minute}, true, 0, 1 + 50 + 50},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ha := startSimulator(t, simulator.Config{LoginAttemptsThreshold: 3, FailedLoginDelay: 20 * time.Millisecond})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			t.Cleanup(func() { cancel(); wg.Wait() })
			wg.Go(func() { _ = ha.lookup.c.Run(ctx, nopSink{}) }) // hasse's own link
			waitConnected(t, ha.lookup.c)

			a := newTestHA(t, tc.cfg, ha.lookup, nil)
			var mu sync.Mutex
			var skew time.Duration // moves the authenticator's clock between rounds
			a.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return time.Now().Add(skew) }
			refresh := func() { mu.Lock(); skew += tc.refreshed; mu.Unlock() }
			if _, err := a.Authenticate(ctx, ha.admin); err != nil {
				t.Fatalf("admin token before: %v", err)
			}
			badTokens := func() (bad []Token) { // 50 JWTs Home Assistant does not know, 50 tokens that are no JWT
				for i := range 50 {
					bad = append(bad, Token(simulator.NewToken()), Token(fmt.Sprintf("not-a-jwt-%d", i)))
				}
				return bad
			}
			check := func(how string, tok Token, err error) {
				switch {
				case tc.allAsked && jwtShaped(string(tok)) && !errors.Is(err, ErrUnauthorized):
					t.Errorf("%s: bad JWT: %v, want ErrUnauthorized from Home Assistant", how, err)
				case !errors.Is(err, ErrUnauthorized) && !errors.Is(err, ErrUnavailable):
					t.Errorf("%s: bad token %.12q…: %v, want ErrUnauthorized or ErrUnavailable", how, string(tok), err)
				}
			}
			for _, tok := range badTokens() {
				_, err := a.Authenticate(ctx, tok)
				check("one after another", tok, err)
			}
			refresh() // the bucket is full again
			var hammer sync.WaitGroup
			start := make(chan struct{})
			for _, tok := range badTokens() {
				hammer.Go(func() {
					<-start
					_, err := a.Authenticate(ctx, tok)
					check("all at once", tok, err)
				})
				hammer.Go(func() { // a cached acceptance keeps working meanwhile
					<-start
					if _, err := a.Authenticate(ctx, ha.admin); err != nil {
						t.Errorf("admin token during the hammering: %v", err)
					}
				})
			}
			close(start)
			hammer.Wait()
			if asked := ha.lookup.calls.Load(); asked != tc.wantAsked {
				t.Errorf("Home Assistant was asked %d times, want %d", asked, tc.wantAsked)
			}
			a.shield.clearing.Wait() // the last clearing is done

			if b := ha.sim.Banned(); len(b) != 0 {
				t.Fatalf("Home Assistant banned %v", b)
			}
			if st := ha.lookup.c.Status(); !st.Connected {
				t.Errorf("hasse's own link: %+v, want connected", st)
			}
			if _, err := ha.lookup.c.CurrentUser(ctx, string(ha.admin)); err != nil {
				t.Errorf("a new connection with hasse's own token: %v", err)
			}
			refresh()
			if u, err := a.Authenticate(ctx, ha.user); err != nil || u.Admin {
				t.Errorf("user token afterwards: %+v, %v; want the non-admin user", u, err)
			}
		})
	}
}

// waitConnected waits for c's link to come up.
func waitConnected(t *testing.T, c *halink.Client) {
	t.Helper()
	limit := time.NewTimer(10 * time.Second)
	defer limit.Stop()
	for {
		st, changed := c.Watch()
		if st.Connected {
			return
		}
		select {
		case <-changed:
		case <-limit.C:
			t.Fatalf("link not up within 10s: %+v", st)
		}
	}
}

// TestHARationsRefusals: after Refusals refusals, unknown tokens are refused unasked until the
// bucket refills, with one warning per episode; cached acceptances keep working.
func TestHARationsRefusals(t *testing.T) {
	ha := startSimulator(t, simulator.Config{})
	var logs bytes.Buffer
	a := newTestHA(t, HAConfig{Refusals: 2, RefusalEvery: time.Minute}, ha.lookup,
		slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{ReplaceAttr: dropTime})))
	now := time.Now()
	a.now = func() time.Time { return now }
	ctx := context.Background()
	if _, err := a.Authenticate(ctx, ha.admin); err != nil {
		t.Fatal(err)
	}
	for i := range 2 {
		if _, err := a.Authenticate(ctx, Token(simulator.NewToken())); !errors.Is(err, ErrUnauthorized) {
			t.Fatalf("bad token %d: %v, want ErrUnauthorized", i, err)
		}
	}
	asked := ha.lookup.calls.Load()
	for _, tok := range []Token{Token(simulator.NewToken()), ha.user, Token(simulator.NewToken())} {
		if _, err := a.Authenticate(ctx, tok); !errors.Is(err, ErrUnavailable) {
			t.Errorf("unknown token after 2 refusals: %v, want ErrUnavailable", err)
		}
	}
	if got := ha.lookup.calls.Load(); got != asked {
		t.Errorf("unknown tokens asked Home Assistant %d times while refusals are rationed, want none", got-asked)
	}
	if u, err := a.Authenticate(ctx, ha.admin); err != nil || !u.Admin {
		t.Errorf("cached admin token while rationed: %+v, %v", u, err)
	}

	now = now.Add(time.Minute) // one refusal more is allowed
	if u, err := a.Authenticate(ctx, ha.user); err != nil || u.Admin {
		t.Errorf("user token once the bucket refilled: %+v, %v", u, err)
	}
	_, _ = a.Authenticate(ctx, Token(simulator.NewToken())) // refused: the bucket is empty again
	_, _ = a.Authenticate(ctx, Token(simulator.NewToken())) // a second episode
	a.shield.clearing.Wait()
	want := []string{
		`level=WARN msg="home assistant refused too many tokens from one address; refusing its unknown ones unasked to protect the link" ip="" one_more_every=1m0s`,
		`level=INFO msg="asking home assistant about unknown tokens from the address again" ip=""`,
		`level=WARN msg="home assistant refused too many tokens from one address; refusing its unknown ones unasked to protect the link" ip="" one_more_every=1m0s`,
	}
	if got := strings.Split(strings.TrimSpace(logs.String()), "\n"); strings.Join(got, "\n") != strings.Join(want, "\n") {
		t.Errorf("logs:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

func dropTime(_ []string, a slog.Attr) slog.Attr {
	if a.Key == slog.TimeKey {
		return slog.Attr{}
	}
	return a
}

// TestHARationsRefusalsPerAddress: one address sending bogus tokens empties only its own bucket;
// a new token from another address is still asked about (the review's lock-out of every user
// not yet cached, by ~75 bogus tokens a minute).
func TestHARationsRefusalsPerAddress(t *testing.T) {
	ha := startSimulator(t, simulator.Config{})
	a := newTestHA(t, HAConfig{Refusals: 3, RefusalEvery: time.Minute}, ha.lookup, nil)
	now := time.Now()
	a.now = func() time.Time { return now }
	attacker := WithClientAddr(context.Background(), "203.0.113.7")
	for i := range 20 {
		_, err := a.Authenticate(attacker, Token(simulator.NewToken()))
		if want := ErrUnauthorized; i >= 3 {
			if !errors.Is(err, ErrUnavailable) {
				t.Errorf("bogus token %d from the attacker: %v, want ErrUnavailable", i, err)
			}
		} else if !errors.Is(err, want) {
			t.Errorf("bogus token %d from the attacker: %v, want %v", i, err, want)
		}
	}
	if asked := ha.lookup.calls.Load(); asked != 3 {
		t.Errorf("Home Assistant was asked %d times for the attacker, want 3", asked)
	}
	user := WithClientAddr(context.Background(), "192.0.2.10")
	if u, err := a.Authenticate(user, ha.user); err != nil || u.Admin {
		t.Errorf("a new user's token from another address: %+v, %v; want the non-admin user", u, err)
	}
	if _, err := a.Authenticate(user, Token(simulator.NewToken())); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("a mistyped token from that address: %v, want ErrUnauthorized: its bucket is its own", err)
	}
}

// failingClearer fails its clearings while fail is set, and counts them.
type failingClearer struct {
	mu     sync.Mutex
	fail   bool
	tries  int
	failed error
}

func (f *failingClearer) ClearFailedLogins(context.Context) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.tries++
	if f.fail {
		return f.failed
	}
	return nil
}

func (f *failingClearer) set(fail bool) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.fail = fail
	return f.tries
}

// TestShieldHoldsTurnsAClearingCouldNotFree: when the count of failed logins cannot be cleared
// (Home Assistant down, or refusing hasse's own token), the refused question's turn stays taken,
// and other questions are refused at once, unasked, rather than given the turn back: one more
// refusal could get hasse's address banned. A clearing is tried again clearRetry later, on
// demand; once one succeeds, questions are asked again.
func TestShieldHoldsTurnsAClearingCouldNotFree(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clearer := &failingClearer{fail: true, failed: halink.ErrAuthInvalid}
		s := newShield(HAConfig{Outstanding: 1, Refusals: 100, RefusalEvery: time.Second, Timeout: time.Second}, clearer, slog.New(slog.DiscardHandler))
		defer s.clearing.Wait()
		ctx := context.Background()
		if err := s.take(ctx, "a", time.Now, false); err != nil {
			t.Fatalf("the first question: %v", err)
		}
		s.settle(ctx, "a", time.Now, true) // refused: the clearer runs, and fails
		synctest.Wait()
		for _, addr := range []string{"a", "b"} {
			if err := s.take(ctx, addr, time.Now, false); !errors.Is(err, ErrUnavailable) || !errors.Is(err, errUnreachable) {
				t.Errorf("a question from %s while the clearing failed: %v, want errNoTurn at once", addr, err)
			}
		}
		synctest.Wait()
		if tries := clearer.set(false); tries != 1 {
			t.Errorf("%d clearings before clearRetry passed, want 1", tries)
		}
		time.Sleep(clearRetry)
		if err := s.take(ctx, "b", time.Now, false); !errors.Is(err, ErrUnavailable) {
			t.Errorf("the question that starts a clearing again: %v, want ErrUnavailable (the turn is not back yet)", err)
		}
		synctest.Wait()
		if err := s.take(ctx, "b", time.Now, false); err != nil {
			t.Errorf("a question once a clearing succeeded: %v, want a turn", err)
		}
		s.settle(ctx, "b", time.Now, false)
		if tries := clearer.set(false); tries != 2 {
			t.Errorf("%d clearings in all, want 2", tries)
		}
	})
}

// TestHAAsksNothingWhileItsOwnTokenIsRefused: once Home Assistant refuses hasse's own token (its
// link went down with auth_invalid), no client token is asked about: HA has counted the link's
// failed logins already, and no refusal could be cleared. Unknown tokens get ErrUnavailable,
// Home Assistant is asked nothing, and hasse's address is not banned.
func TestHAAsksNothingWhileItsOwnTokenIsRefused(t *testing.T) {
	ha := startSimulator(t, simulator.Config{LoginAttemptsThreshold: 3, FailedLoginDelay: 20 * time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	t.Cleanup(func() { cancel(); wg.Wait() })
	wg.Go(func() { _ = ha.lookup.c.Run(ctx, nopSink{}) })
	waitConnected(t, ha.lookup.c)
	a := newTestHA(t, HAConfig{}, ha.lookup, nil)

	ha.sim.RefuseAuth(true) // hasse's own token revoked
	ha.sim.DropConnections()
	limit := time.NewTimer(10 * time.Second)
	defer limit.Stop()
	for st, changed := ha.lookup.c.Watch(); !errors.Is(st.LastError, halink.ErrAuthInvalid); st, changed = ha.lookup.c.Watch() {
		select {
		case <-changed:
		case <-limit.C:
			t.Fatalf("the link never saw its token refused: %+v", st)
		}
	}
	asked := ha.lookup.calls.Load()
	for range 5 {
		if _, err := a.Authenticate(ctx, Token(simulator.NewToken())); !errors.Is(err, ErrUnavailable) {
			t.Errorf("an unknown token while hasse's own is refused: %v, want ErrUnavailable", err)
		}
	}
	if got := ha.lookup.calls.Load(); got != asked {
		t.Errorf("Home Assistant was asked %d times while it refuses hasse's own token, want none", got-asked)
	}
	if b := ha.sim.Banned(); len(b) != 0 {
		t.Errorf("Home Assistant banned %v", b)
	}
}

// TestHAAsksAboutAKnownTokenWhateverTheRationing: a token accepted before whose acceptance ran
// out is asked about again even while its address's refusals are rationed. So a token revoked
// meanwhile is refused, not kept working by the outage fallback, however many bogus tokens the
// address sent; and one still valid keeps working.
func TestHAAsksAboutAKnownTokenWhateverTheRationing(t *testing.T) {
	ha := startSimulator(t, simulator.Config{})
	a := newTestHA(t, HAConfig{Refusals: 1, RefusalEvery: time.Hour}, ha.lookup, nil)
	now := time.Now()
	a.now = func() time.Time { return now }
	ctx := WithClientAddr(context.Background(), "192.0.2.10")
	for _, tok := range []Token{ha.admin, ha.user} {
		if _, err := a.Authenticate(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	for range 3 { // the first is refused by HA, the others unasked
		_, _ = a.Authenticate(ctx, Token(simulator.NewToken()))
	}
	if _, err := a.Authenticate(ctx, Token(simulator.NewToken())); !errors.Is(err, ErrUnavailable) {
		t.Fatalf("an unknown token while the address is rationed: %v, want ErrUnavailable", err)
	}
	a.shield.clearing.Wait()
	ha.sim.RefuseAuth(true) // every token revoked, the admin's among them
	now = now.Add(5*time.Minute + time.Second)
	if _, err := a.Authenticate(ctx, ha.admin); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("a revoked token whose acceptance ran out, from a rationed address: %v, want ErrUnauthorized", err)
	}
	a.shield.clearing.Wait()
	ha.sim.RefuseAuth(false)
	if u, err := a.Authenticate(ctx, ha.user); err != nil || u.Admin {
		t.Errorf("a valid token whose acceptance ran out, from a rationed address: %+v, %v", u, err)
	}
}

// blockingClearer clears when released.
type blockingClearer struct{ release chan struct{} }

func (c blockingClearer) ClearFailedLogins(ctx context.Context) error {
	select {
	case <-c.release:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// TestShieldGivesTurnsToKnownTokensAndCleanAddressesFirst: while a refusal holds the one turn
// (Home Assistant slow to count it), the questions waiting get turns a known token first, then
// one from an address without refusals, then those of the address that sent refused tokens, each
// rank in the order it came.
func TestShieldGivesTurnsToKnownTokensAndCleanAddressesFirst(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		clearer := blockingClearer{release: make(chan struct{})}
		s := newShield(HAConfig{Outstanding: 1, Refusals: 3, RefusalEvery: time.Hour, Timeout: time.Hour}, clearer, slog.New(slog.DiscardHandler))
		defer s.clearing.Wait()
		ctx := context.Background()
		if err := s.take(ctx, "dirty", time.Now, false); err != nil {
			t.Fatal(err)
		}
		s.settle(ctx, "dirty", time.Now, true) // refused: the turn waits for the clearer
		var mu sync.Mutex
		var order []string
		var wg sync.WaitGroup
		ask := func(name, addr string, known bool) {
			wg.Go(func() {
				if err := s.take(ctx, addr, time.Now, known); err != nil {
					t.Errorf("%s: %v", name, err)
					return
				}
				mu.Lock()
				order = append(order, name)
				mu.Unlock()
				s.settle(ctx, addr, time.Now, false)
			})
			synctest.Wait() // it waits, in this place of the queue
		}
		ask("dirty 1", "dirty", false)
		ask("dirty 2", "dirty", false)
		ask("clean", "clean", false)
		ask("known", "dirty", true)
		close(clearer.release)
		wg.Wait()
		if want := []string{"known", "clean", "dirty 1", "dirty 2"}; !slices.Equal(order, want) {
			t.Errorf("turns went to %v, want %v", order, want)
		}
	})
}
