//go:build realha

package realha

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"hasse/internal/hatest"
)

// badJWT is a token shaped like Home Assistant's (a JWT signed with HS256) that no refresh token
// of Home Assistant's issued.
func badJWT() string {
	enc := base64.RawURLEncoding
	id := make([]byte, 16)
	sig := make([]byte, 32)
	_, _ = rand.Read(id)
	_, _ = rand.Read(sig)
	now := time.Now().Unix()
	payload := fmt.Sprintf(`{"iss":"%s","iat":%d,"exp":%d}`, hex.EncodeToString(id), now, now+315360000)
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." + enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(sig)
}

// failedLogins counts the failed logins Home Assistant logged (one per refused token; each also
// made or renewed the owner's "Login attempt failed" notification).
func failedLogins(t *testing.T, h *hatest.Home) int {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(h.Dir, "home-assistant.log"))
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "Login attempt or request with invalid authentication")
}

// linkWatch polls hasse's /health until stopped and counts the polls that found the link down.
func linkWatch(t *testing.T, s *served) (stop func() (polls, down int64)) {
	var polls, down atomic.Int64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		for {
			select {
			case <-done:
				return
			case <-time.After(100 * time.Millisecond): // sampling, not a timing assertion
			}
			resp, err := http.Get(s.url + "/health")
			if err != nil {
				continue
			}
			var h health
			if resp.StatusCode != http.StatusOK || jsonDecode(resp, &h) != nil {
				resp.Body.Close()
				t.Errorf("/health answered %s", resp.Status)
				continue
			}
			polls.Add(1)
			if !h.HA.Connected {
				down.Add(1)
			}
		}
	})
	return func() (int64, int64) { close(done); wg.Wait(); return polls.Load(), down.Load() }
}

// Clients present 100 bad Home Assistant-shaped tokens one at a time, then 20 at once, to a
// hasse whose Home Assistant bans at the third failed login (ip_ban_enabled, threshold 3): hasse
// answers each with 401 or 503, its address never lands in ip_bans.yaml, and its link never
// drops. (Rate limits off, as a user may have them: the point is Home Assistant's count.)
func TestBadTokensNeverGetHasseBanned(t *testing.T) {
	t.Parallel() // a Home Assistant of its own
	h := startOwnHome(t)
	s := serve(t, h, "MCP_RATE_LIMIT_ENABLED=false")
	s.waitConnected(t, 30*time.Second)
	stopWatch := linkWatch(t, s)
	counts := map[int]int{}
	var mu sync.Mutex
	ask := func() {
		code, _ := status(t, s, "", badJWT())
		mu.Lock()
		counts[code]++
		mu.Unlock()
	}
	for range 100 {
		ask()
	}
	var wg sync.WaitGroup
	for range 20 {
		wg.Go(ask)
	}
	wg.Wait()
	// Home Assistant counts a refusal after it has answered: give the last counts time to land.
	time.Sleep(5 * time.Second) // Home Assistant's own pace, not a timing assertion on hasse
	polls, down := stopWatch()
	t.Logf("answers %v; Home Assistant logged %d failed logins (each a notification to the owner)", counts, failedLogins(t, h))
	for code := range counts {
		if code != http.StatusUnauthorized && code != http.StatusServiceUnavailable {
			t.Errorf("a bad token got %d", code)
		}
	}
	bans, err := h.BannedIPs()
	if err != nil {
		t.Fatal(err)
	}
	if len(bans) > 0 {
		t.Errorf("Home Assistant banned %v", bans)
	}
	if down > 0 {
		t.Errorf("hasse's link was down in %d of %d health polls", down, polls)
	}
	if code, _, err := h.REST(t.Context(), "GET", "/api/", h.Owner.Token, nil); err != nil || code != http.StatusOK {
		t.Errorf("Home Assistant answers the owner's token from 127.0.0.1 with %d %v", code, err)
	}
}
