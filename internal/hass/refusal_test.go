package hass

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
	go func() { done <- c.Run(ctx, sinkFunc(func(*Event) {})) }()
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

// TestOwnTokenRefusedBacksOff has Home Assistant refuse hasse's own token for hours: each try is
// a failed login, so the tries come after 1, 2, 4, … minutes, then hourly; one error is logged;
// Status says why and when the next try is. Once a connection was up, the next refusal starts
// the back-off afresh.
func TestOwnTokenRefusedBacksOff(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHA(t)
		ha.sim.RefuseAuth(true)
		var log logRecorder
		c, gaps := pipeClient(t, ha, Config{Token: "t"}, slog.New(&log))

		time.Sleep(5*time.Hour + 30*time.Minute)
		want := minutes(1, 2, 4, 8, 16, 32, 60, 60, 60, 60) // tries at 0, 1, 3, 7, … 243 and 303 minutes
		if got := gaps(); !sameDurations(got, want) {
			t.Errorf("tries %v apart, want %v", got, want)
		}
		st := c.Status()
		if !errors.Is(st.LastError, ErrAuthInvalid) || st.Connected || st.RetryAt.Sub(time.Now()) != 33*time.Minute {
			t.Errorf("Status() = %+v, want the token refused and the next try in 33m", st)
		}
		if n := log.count(slog.LevelError); n != 1 {
			t.Errorf("%d errors logged for %d refusals, want 1", n, len(want)+1)
		}

		ha.sim.RefuseAuth(false)
		time.Sleep(33 * time.Minute)
		synctest.Wait()
		if st := c.Status(); !st.Connected {
			t.Fatalf("Status() = %+v once the token is accepted again at the next try, want connected", st)
		}
		if st := c.Status(); !st.RetryAt.IsZero() {
			t.Errorf("Status().RetryAt = %v while connected, want zero", st.RetryAt)
		}
		ha.sim.RefuseAuth(true)
		n := len(gaps())
		ha.sim.DropConnections()
		time.Sleep(10 * time.Minute)
		if got := gaps()[n:]; len(got) < 2 || got[1] != time.Minute {
			t.Errorf("after a connection was up: tries %v apart, want a reconnect, then the first refusal's minute", got)
		}
	})
}

// TestBannedAddress has Home Assistant ban hasse's address after two failed logins (its
// ip_ban_enabled with login_attempts_threshold 2): from then on the WebSocket upgrade is
// answered 403, which the client reports as ErrBanned, logs once as such, and retries less and
// less often.
func TestBannedAddress(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHAWith(t, simulator.Config{Token: "t", Seed: 1, Rate: -1, LoginAttemptsThreshold: 2})
		var log logRecorder
		c, gaps := pipeClient(t, ha, Config{Token: "wrong"}, slog.New(&log))

		time.Sleep(2*time.Hour + 30*time.Minute)
		st := c.Status()
		if got, want := gaps(), minutes(1, 2, 4, 8, 16, 32, 60); !sameDurations(got, want) {
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
