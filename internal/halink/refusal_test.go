package halink

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/hass"
	"hasse/internal/simulator"
)

// pipeClient runs a Client of cfg against ha inside a synctest bubble until the test ends, and
// returns it with a func that lists the time between one connection attempt (an upgrade request)
// and the next.
func pipeClient(t *testing.T, ha *pipeHA, cfg Config, log *slog.Logger) (*Client, func() []time.Duration) {
	t.Helper()
	cfg.URL = "http://ha.test:8123"
	c, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	var dials []time.Time
	tr := &http.Transport{DialContext: ha.dial}
	c.http = &http.Client{Transport: roundTripFunc(func(r *http.Request) (*http.Response, error) {
		mu.Lock()
		dials = append(dials, time.Now())
		mu.Unlock()
		return tr.RoundTrip(r)
	})}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx, sinkFunc(func(*hass.Event) {})) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		tr.CloseIdleConnections()
	})
	gaps := func() []time.Duration {
		mu.Lock()
		defer mu.Unlock()
		var out []time.Duration
		for i := 1; i < len(dials); i++ {
			out = append(out, dials[i].Sub(dials[i-1]).Round(time.Second))
		}
		return out
	}
	return c, gaps
}

type roundTripFunc func(*http.Request) (*http.Response, error)

func (f roundTripFunc) RoundTrip(r *http.Request) (*http.Response, error) { return f(r) }

func minutes(ms ...int) []time.Duration {
	var out []time.Duration
	for _, m := range ms {
		out = append(out, time.Duration(m)*time.Minute)
	}
	return out
}

func sameDurations(a, b []time.Duration) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// TestOwnTokenRefusedTriedTwice has Home Assistant refuse hasse's own token for hours: each try
// is a failed login that Home Assistant counts against hasse's address until a login succeeds,
// which a refused token's never does, so the client tries twice (a minute apart) and then stops;
// it says so in an error and in Status (no next try). Once a connection was up, a refusal starts
// the count afresh.
func TestOwnTokenRefusedTriedTwice(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHA(t)
		ha.sim.RefuseAuth(true)
		var log logRecorder
		c, gaps := pipeClient(t, ha, Config{Token: "t"}, slog.New(&log))

		time.Sleep(5 * time.Hour)
		if got, want := gaps(), minutes(1); !sameDurations(got, want) {
			t.Errorf("tries %v apart, want %v: two tries, then none", got, want)
		}
		st := c.Status()
		if !errors.Is(st.LastError, ErrAuthInvalid) || st.Connected || !st.RetryAt.IsZero() {
			t.Errorf("Status() = %+v, want the token refused and no next try", st)
		}
		if n := log.count(slog.LevelError); n != 2 {
			t.Errorf("%d errors logged, want 2: the refusal, then the end of the tries", n)
		}

		ha.sim.RefuseAuth(false)
		time.Sleep(time.Hour)
		if got := gaps(); len(got) != 1 || c.Status().Connected {
			t.Errorf("once stopped, tries %v apart and %+v; want no more tries", got, c.Status())
		}
	})
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHA(t)
		c, gaps := pipeClient(t, ha, Config{Token: "t"}, nil)
		time.Sleep(time.Minute)
		if !c.Status().Connected {
			t.Fatalf("Status() = %+v, want connected", c.Status())
		}
		ha.sim.RefuseAuth(true)
		ha.sim.DropConnections()
		time.Sleep(time.Hour)
		if got := gaps(); len(got) != 2 || got[1] != time.Minute {
			t.Errorf("after a connection was up: tries %v apart, want a reconnect (refused), then one more a minute later", got)
		}
	})
}

// TestBannedAddress has Home Assistant ban hasse's address after two failed logins (its
// ip_ban_enabled with login_attempts_threshold 2): from then on the WebSocket upgrade is
// answered 403, which the client reports as ErrBanned, logs once as such, and retries less and
// less often, but at least every 5 minutes.
func TestBannedAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHAWith(t, simulator.Config{Token: "t", Seed: 1, Rate: -1, LoginAttemptsThreshold: 2})
		var log logRecorder
		c, gaps := pipeClient(t, ha, Config{Token: "wrong", TokenTries: 10}, slog.New(&log)) // more tries than the threshold

		time.Sleep(2*time.Hour + 30*time.Minute)
		st := c.Status()
		want := minutes(1, 2, 4) // then every 5 minutes: Home Assistant does not count a banned address's tries
		for at := 7 + 5; at <= 150; at += 5 {
			want = append(want, 5*time.Minute)
		}
		if got := gaps(); !sameDurations(got, want) {
			t.Errorf("tries %v apart, want %v (status %+v)", got, want, st)
		}
		if !errors.Is(st.LastError, ErrBanned) || errors.Is(st.LastError, ErrAuthInvalid) || st.RetryAt.IsZero() {
			t.Errorf("Status() = %+v, want banned, and when the next try is", st)
		}
		var msgs []string
		log.mu.Lock()
		for _, r := range log.records {
			if r.Level == slog.LevelError {
				msgs = append(msgs, r.Message)
			}
		}
		log.mu.Unlock()
		if len(msgs) != 2 || !strings.Contains(msgs[0], "refused hasse's access token") || !strings.Contains(msgs[1], "ip_bans.yaml") {
			t.Errorf("errors logged: %q; want the refused token once, then the ban once", msgs)
		}
	})
}
