package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http/httptest"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hasse/internal/hass"
	"hasse/internal/simulator"
)

// countingLookup asks a real Home Assistant client and counts the questions.
type countingLookup struct {
	c     *hass.Client
	calls atomic.Int64
}

func (l *countingLookup) CurrentUser(ctx context.Context, token string) (hass.User, error) {
	l.calls.Add(1)
	return l.c.CurrentUser(ctx, token)
}

// startSimulator serves a simulated Home Assistant with admin token "admin" and user token
// "user" until the test ends, and returns a lookup asking it and a func that stops it early.
func startSimulator(t *testing.T) (*countingLookup, func()) {
	t.Helper()
	sim, err := simulator.New(simulator.Config{Token: "admin", UserToken: "user", Rate: -1}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = sim.Run(ctx) })
	ts := httptest.NewServer(sim)
	var once sync.Once
	stop := func() { once.Do(func() { cancel(); wg.Wait(); ts.Close() }) }
	t.Cleanup(stop)
	c, err := hass.New(hass.Config{URL: ts.URL, Token: "admin"}, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	return &countingLookup{c: c}, stop
}

func TestHAAuthenticate(t *testing.T) {
	lookup, stopHA := startSimulator(t)
	a := NewHA(HAConfig{}, lookup)
	now := time.Now()
	a.now = func() time.Time { return now }
	ctx := context.Background()

	admin, err := a.Authenticate(ctx, "admin")
	if err != nil || !admin.Admin || admin.ID == "" || admin.Name == "" || admin.Scope != nil {
		t.Errorf("admin token: %+v, %v; want an unscoped admin with id and name", admin, err)
	}
	user, err := a.Authenticate(ctx, "user")
	if err != nil || user.Admin || user.Scope == nil {
		t.Fatalf("user token: %+v, %v; want a scoped non-admin", user, err)
	}
	if !user.Scope.Match(&hass.Event{Type: "state_changed"}) || user.Scope.Match(&hass.Event{Type: "call_service"}) {
		t.Error("a non-admin's scope must allow state_changed and refuse call_service")
	}
	if _, err := a.Authenticate(ctx, "wrong"); !errors.Is(err, ErrUnauthorized) {
		t.Errorf("wrong token: %v, want ErrUnauthorized", err)
	}
	calls := lookup.calls.Load()
	for _, tok := range []Token{"admin", "user", "wrong"} { // all cached now
		_, _ = a.Authenticate(ctx, tok)
	}
	if got := lookup.calls.Load(); got != calls {
		t.Errorf("cached tokens asked Home Assistant %d more times", got-calls)
	}

	// A refusal is forgotten after 10 s, an acceptance after 5 min.
	now = now.Add(11 * time.Second)
	_, _ = a.Authenticate(ctx, "wrong")
	_, _ = a.Authenticate(ctx, "admin")
	if got := lookup.calls.Load(); got != calls+1 {
		t.Errorf("after 11 s: %d questions, want 1 (the refused token again)", got-calls)
	}

	// Home Assistant goes away: an accepted token stays accepted, a new one cannot be told.
	stopHA()
	now = now.Add(6 * time.Minute)
	if u, err := a.Authenticate(ctx, "admin"); err != nil || !u.Admin {
		t.Errorf("expired acceptance while HA is down: %+v, %v; want it to stand", u, err)
	}
	if _, err := a.Authenticate(ctx, "never-seen"); !errors.Is(err, ErrUnavailable) {
		t.Errorf("new token while HA is down: %v, want ErrUnavailable", err)
	}
}

func TestHAConcurrentValidationsCollapse(t *testing.T) {
	lookup, _ := startSimulator(t)
	a := NewHA(HAConfig{}, lookup)
	var wg sync.WaitGroup
	start := make(chan struct{})
	for range 20 {
		wg.Go(func() {
			<-start
			if u, err := a.Authenticate(context.Background(), "admin"); err != nil || !u.Admin {
				t.Errorf("Authenticate = %+v, %v", u, err)
			}
		})
	}
	close(start)
	wg.Wait()
	if got := lookup.calls.Load(); got != 1 { // later arrivals join the flight or find the cache
		t.Errorf("20 concurrent validations asked Home Assistant %d times, want them collapsed", got)
	}
}
