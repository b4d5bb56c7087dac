package simulator

import (
	"context"
	"log/slog"
	"net/http"
	"net/netip"
	"slices"
	"sync"
	"time"
)

// bans is Home Assistant's IP ban (its http integration with ip_ban_enabled and
// login_attempts_threshold): every failed login counts against the remote address, a successful
// WebSocket login clears its count, and an address that reaches the threshold is refused with 403
// on every request. HA keeps bans in ip_bans.yaml; the simulator keeps them for its life. Its
// mutex guards only the two maps.
type bans struct {
	threshold int // failures that ban an address; 0 = never
	log       *slog.Logger

	mu     sync.Mutex
	failed map[netip.Addr]int
	banned map[netip.Addr]bool
}

func newBans(threshold int, log *slog.Logger) *bans {
	return &bans{threshold: threshold, log: log, failed: make(map[netip.Addr]int), banned: make(map[netip.Addr]bool)}
}

// remoteAddr is the address of r's peer; the zero Addr when it cannot be told.
func remoteAddr(r *http.Request) netip.Addr {
	ap, err := netip.ParseAddrPort(r.RemoteAddr)
	if err != nil {
		return netip.Addr{}
	}
	return ap.Addr().Unmap()
}

func (b *bans) isBanned(addr netip.Addr) bool {
	if b.threshold == 0 {
		return false
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.banned[addr]
}

// failure counts a failed login from addr (HA's process_wrong_login) and bans addr at the
// threshold.
func (b *bans) failure(addr netip.Addr) {
	if b.threshold == 0 || !addr.IsValid() {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	b.failed[addr]++
	if b.failed[addr] >= b.threshold && !b.banned[addr] {
		b.banned[addr] = true
		b.log.Warn("banned IP for too many login attempts", "ip", addr)
	}
}

// countFailedLogin counts a failed login from addr the way Home Assistant does after a WebSocket
// auth_invalid (HA-PROTOCOL.md §19): after the reply has gone out and after
// Config.FailedLoginDelay (HA's reverse DNS lookup of addr), and before the socket is closed. A
// client that logs in again as soon as it reads auth_invalid, to reset the count, runs before it.
func (s *Simulator) countFailedLogin(ctx context.Context, addr netip.Addr) {
	if d := s.cfg.FailedLoginDelay; d > 0 {
		t := time.NewTimer(d)
		defer t.Stop()
		select {
		case <-t.C:
		case <-ctx.Done():
		}
	}
	s.bans.failure(addr)
}

// success clears addr's count of failed logins (HA's process_success_login); a ban stays.
func (b *bans) success(addr netip.Addr) {
	if b.threshold == 0 {
		return
	}
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.failed, addr)
}

// Banned returns the addresses banned for too many failed logins (Config.LoginAttemptsThreshold),
// in order; none when the threshold is 0. It is safe for concurrent use.
func (s *Simulator) Banned() []netip.Addr {
	b := s.bans
	b.mu.Lock()
	defer b.mu.Unlock()
	var out []netip.Addr
	for addr := range b.banned {
		out = append(out, addr)
	}
	slices.SortFunc(out, netip.Addr.Compare)
	return out
}
