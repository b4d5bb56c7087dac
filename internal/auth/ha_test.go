package auth

import (
	"context"
	"errors"
	"log/slog"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hasse/internal/halink"
	"hasse/internal/hass"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// countingLookup asks a real Home Assistant client and counts the questions about tokens.
type countingLookup struct {
	c     *halink.Client
	calls atomic.Int64
}

func (l *countingLookup) CurrentUser(ctx context.Context, token string) (halink.User, error) {
	l.calls.Add(1)
	return l.c.CurrentUser(ctx, token)
}

func (l *countingLookup) ClearFailedLogins(ctx context.Context) error {
	return l.c.ClearFailedLogins(ctx)
}

func (l *countingLookup) Status() halink.Status { return l.c.Status() }

// testHA is a simulated Home Assistant with admin token admin and user token user, and a lookup
// asking it through a real client.
type testHA struct {
	sim         *simtest.Home // Stop ends it before the test does
	lookup      *countingLookup
	admin, user Token
}

// startSimulator serves a simulated Home Assistant, tuned by cfg (its tokens are set here),
// until the test ends.
func startSimulator(t *testing.T, cfg simulator.Config) *testHA {
	t.Helper()
	cfg.Token, cfg.UserToken, cfg.Rate = simulator.NewToken(), simulator.NewToken(), -1
	sim := simtest.Start(t, cfg)
	c, err := halink.New(halink.Config{URL: sim.URL, Token: cfg.Token}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return &testHA{sim: sim, lookup: &countingLookup{c: c}, admin: Token(cfg.Token), user: Token(cfg.UserToken)}
}

// newTestHA returns an HA authenticator asking lookup whose clearer has ended when the test does.
func newTestHA(t *testing.T, cfg HAConfig, lookup UserLookup, log *slog.Logger) *HA {
	a := NewHA(cfg, lookup, log)
	t.Cleanup(a.shield.clearing.Wait)
	return a
}

func TestHAAuthenticate(t *testing.T) {
	ha := startSimulator(t, simulator.Config{})
	a := newTestHA(t, HAConfig{}, ha.lookup, nil)
	now := time.Now()
	a.now = func() time.Time { return now }
	ctx := context.Background()
	wrong := Token(simulator.NewToken())

	admin, err := a.Authenticate(ctx, ha.admin)
	if err != nil || !admin.Admin || admin.ID == "" || admin.Name == "" || admin.Scope != nil {
		t.Errorf("admin token: %+v, %v; want an unscoped admin with id and name", admin, err)
	}
	user, err := a.Authenticate(ctx, ha.user)
	if err != nil || user.Admin || user.Scope == nil {
		t.Fatalf("user token: %+v, %v; want a scoped non-admin", user, err)
	}
	if !user.Scope.Match(&hass.Event{Type: "state_changed"}) || user.Scope.Match(&hass.Event{Type: "call_service"}) {
		t.Error("a non-admin's scope must allow state_changed and refuse call_service")
	}
	if _, err := a.Authenticate(ctx, wrong); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong token: %v, want ErrUnauthorized", err)
	}
	calls := ha.lookup.calls.Load()
	for _, tok := range []Token{ha.admin, ha.user, wrong} { // all cached now
		_, _ = a.Authenticate(ctx, tok)
	}
	if got := ha.lookup.calls.Load(); got != calls {
		t.Errorf("cached tokens asked Home Assistant %d more times", got-calls)
	}

	// A refusal is forgotten after 10 s, an acceptance after 5 min.
	now = now.Add(11 * time.Second)
	_, _ = a.Authenticate(ctx, wrong)
	_, _ = a.Authenticate(ctx, ha.admin)
	if got := ha.lookup.calls.Load(); got != calls+1 {
		t.Errorf("after 11 s: %d questions, want 1 (the refused token again)", got-calls)
	}

	// Home Assistant goes away: an accepted token stays accepted, a new one cannot be told.
	ha.sim.Stop()
	now = now.Add(6 * time.Minute)
	if u, err := a.Authenticate(ctx, ha.admin); err != nil || !u.Admin {
		t.Errorf("expired acceptance while HA is down: %+v, %v; want it to stand", u, err)
	}
	if _, err := a.Authenticate(ctx, Token(simulator.NewToken())); !errors.Is(err, ErrUnavailable) {
		t.Errorf("new token while HA is down: %v, want ErrUnavailable", err)
	}
}

func TestHAConcurrentValidationsCollapse(t *testing.T) {
	ha := startSimulator(t, simulator.Config{})
	a := newTestHA(t, HAConfig{}, ha.lookup, nil)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			<-start
			if u, err := a.Authenticate(context.Background(), ha.admin); err != nil || !u.Admin {
				t.Errorf("Authenticate = %+v, %v", u, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := ha.lookup.calls.Load(); got != 1 { // later arrivals join the flight or find the cache
		t.Errorf("20 concurrent validations asked Home Assistant %d times, want them collapsed", got)
	}
}

// TestHANonJWTNotAsked: Home Assistant refuses what is not a JWT, counting a failed login; hasse
// refuses it without asking.
func TestHANonJWTNotAsked(t *testing.T) {
	ha := startSimulator(t, simulator.Config{})
	a := newTestHA(t, HAConfig{}, ha.lookup, nil)
	for _, tok := range []Token{"wrong", "a.b.c", "ha-admin", Token(ha.admin + "x.y")} {
		if _, err := a.Authenticate(context.Background(), tok); !errors.Is(err, ErrUnauthorized) {
			t.Errorf("Authenticate(%q) = %v, want ErrUnauthorized", string(tok), err)
		}
	}
	if got := ha.lookup.calls.Load(); got != 0 {
		t.Errorf("tokens that are no JWT asked Home Assistant %d times, want none", got)
	}
}

// TestNonAdminScopeFollowsHomeAssistant: a non-admin user may subscribe to what its Home
// Assistant lets it: the label, floor and category registries' updates only from 2024.4 on.
func TestNonAdminScopeFollowsHomeAssistant(t *testing.T) {
	for _, tc := range []struct {
		version    string
		wantLabels bool
	}{
		{"2024.3.3", false},
		{"2025.7.2", true},
	} {
		t.Run(tc.version, func(t *testing.T) {
			ha := startSimulator(t, simulator.Config{Version: tc.version})
			ctx, cancel := context.WithCancel(context.Background())
			var wg sync.WaitGroup
			t.Cleanup(func() { cancel(); wg.Wait() })
			wg.Go(func() { _ = ha.lookup.c.Run(ctx, nopSink{}) }) // the link says which version
			waitConnected(t, ha.lookup.c)
			a := newTestHA(t, HAConfig{}, ha.lookup, nil)
			u, err := a.Authenticate(ctx, ha.user)
			if err != nil || u.Scope == nil {
				t.Fatalf("non-admin: %+v, %v", u, err)
			}
			for typ, want := range map[string]bool{"state_changed": true, "call_service": false, "label_registry_updated": tc.wantLabels} {
				if got := slices.Contains(u.Scope.Types, typ); got != want {
					t.Errorf("scope has %s: %v, want %v", typ, got, want)
				}
			}
		})
	}
}
