package auth

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/singleflight"

	"hasse/internal/filter"
	"hasse/internal/halink"
)

// ErrUnavailable means Home Assistant could not be asked about a token and nothing is cached:
// the request is answered 503 AUTH_UNAVAILABLE.
var ErrUnavailable = errors.New("auth: home assistant cannot be asked")

// errUnreachable marks a question Home Assistant did not answer: only then does an expired
// acceptance stand a while longer.
var errUnreachable = errors.New("auth: home assistant did not answer")

// HAConfig tunes an HA authenticator. Zero fields take the defaults shown.
//
// Home Assistant counts every token it refuses as a failed login from hasse's address and may ban
// the address (ip_ban_enabled with login_attempts_threshold), which cuts hasse's own link. The
// last three fields pace the questions so that this never happens; tokens that are no JWT are
// never asked about.
type HAConfig struct {
	ValidFor    time.Duration // how long an accepted token is believed; default 5m
	RejectedFor time.Duration // how long a refused token stays refused; default 10s
	Timeout     time.Duration // longest one validation, or one clearing of failed logins, may take; default 10s

	// Outstanding is the most tokens with Home Assistant at once or refused and not yet cleared,
	// so the most failed logins HA counts from hasse while clearing works; keep it below
	// login_attempts_threshold. Default 1.
	Outstanding int
	// Refusals is the bucket of refusals of each client address ([WithClientAddr]): after that
	// many in a burst, unknown tokens from the address are refused unasked ([ErrUnavailable])
	// until RefusalEvery has allowed one more; defaults 3 and 6s (10 a minute).
	Refusals     int
	RefusalEvery time.Duration
}

// UserLookup asks Home Assistant whose token it is; [halink.Client] is one. Errors wrapping
// halink.ErrAuthInvalid mean the token is refused; any other means HA could not be asked.
type UserLookup interface {
	CurrentUser(ctx context.Context, token string) (halink.User, error)
}

// HA authenticates clients by their own Home Assistant tokens (SPEC.md §5.1 auth mode ha).
// Results are cached by the token's hash; concurrent validations of one token are made once.
// Tokens that cannot be Home Assistant's are refused unasked, and the questions that reach it
// are paced so that its refusals never get hasse's address banned (see [HAConfig]): after a
// refusal, a goroutine logs in with hasse's own token to clear HA's count of failed logins, when
// the lookup can ([halink.Client] can); it ends within Timeout of the last refusal. HA is safe for
// concurrent use; its mutex guards only the cache map.
type HA struct {
	cfg    HAConfig
	lookup UserLookup
	now    func() time.Time
	group  singleflight.Group
	shield *shield

	mu    sync.Mutex
	cache map[[sha256.Size]byte]verdict
}

type verdict struct {
	user    User
	refused bool
	until   time.Time
}

// NewHA returns an HA authenticator asking lookup, logging to log (nil: nowhere).
func NewHA(cfg HAConfig, lookup UserLookup, log *slog.Logger) *HA {
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&cfg.ValidFor, 5 * time.Minute},
		{&cfg.RejectedFor, 10 * time.Second},
		{&cfg.Timeout, 10 * time.Second},
		{&cfg.RefusalEvery, 6 * time.Second},
	} {
		if *d.v <= 0 {
			*d.v = d.def
		}
	}
	if cfg.Outstanding <= 0 {
		cfg.Outstanding = 1
	}
	if cfg.Refusals <= 0 {
		cfg.Refusals = 3
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	clearer, _ := lookup.(failedLoginClearer)
	return &HA{cfg: cfg, lookup: lookup, now: time.Now, shield: newShield(cfg, clearer, log),
		cache: make(map[[sha256.Size]byte]verdict)}
}

// Authenticate returns the Home Assistant user tok belongs to: [ErrUnauthorized] when HA refuses
// it or it is no JWT, [ErrUnavailable] when HA cannot be asked (or, after many refusals, is not
// asked) and no valid result is cached. A non-admin user is scoped to the event types Home
// Assistant itself lets it subscribe to (SPEC.md §5.2).
func (a *HA) Authenticate(ctx context.Context, tok Token) (User, error) {
	if tok == "" {
		return User{}, ErrUnauthorized
	}
	key := sha256.Sum256([]byte(tok))
	now := a.now()
	a.mu.Lock()
	v, ok := a.cache[key]
	a.mu.Unlock()
	if ok && now.Before(v.until) {
		return v.answer()
	}
	if !jwtShaped(string(tok)) { // Home Assistant would refuse it, and count a failed login
		return User{}, ErrUnauthorized
	}
	res, err, _ := a.group.Do(string(key[:]), func() (any, error) {
		a.mu.Lock()
		landed, ok := a.cache[key]
		a.mu.Unlock()
		if ok && a.now().Before(landed.until) { // a flight for tok ended between the look above and this one
			return landed, nil
		}
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), a.cfg.Timeout)
		defer cancel()
		if l, ok := a.lookup.(versioned); ok && errors.Is(l.Status().LastError, halink.ErrAuthInvalid) {
			return nil, errNoTurn // HA refuses hasse's own token: no refusal could be cleared now
		}
		addr := clientAddr(ctx)
		if err := a.shield.take(ctx, addr, a.now, ok && !v.refused); err != nil {
			return nil, err
		}
		u, err := a.lookup.CurrentUser(ctx, string(tok))
		a.shield.settle(ctx, addr, a.now, errors.Is(err, halink.ErrAuthInvalid))
		var fresh verdict
		switch {
		case errors.Is(err, halink.ErrAuthInvalid):
			fresh = verdict{refused: true, until: a.now().Add(a.cfg.RejectedFor)}
		case err != nil:
			return nil, fmt.Errorf("%w: %w", errUnreachable, err)
		default:
			fresh = verdict{user: a.userOf(u), until: a.now().Add(a.cfg.ValidFor)}
		}
		a.mu.Lock()
		a.sweep(now)
		a.cache[key] = fresh
		a.mu.Unlock()
		return fresh, nil
	})
	if err != nil {
		// An acceptance that expired less than ValidFor ago still stands while HA does not answer
		// (or its count of failed logins cannot be cleared); not while an address's refusals are
		// rationed, which HA, reachable, would have answered.
		if ok && !v.refused && errors.Is(err, errUnreachable) && now.Sub(v.until) <= a.cfg.ValidFor {
			return v.user, nil
		}
		return User{}, ErrUnavailable
	}
	return res.(verdict).answer()
}

// Expires returns when the cached acceptance of tok runs out, so that an open stream can be
// checked again then (SPEC.md §5.1); zero when none is cached, or tok is refused: a stream whose
// token is refused ends at once, whoever asked about it last.
func (a *HA) Expires(tok Token) time.Time {
	key := sha256.Sum256([]byte(tok))
	a.mu.Lock()
	defer a.mu.Unlock()
	if v := a.cache[key]; !v.refused {
		return v.until
	}
	return time.Time{}
}

func (v verdict) answer() (User, error) {
	if v.refused {
		return User{}, ErrUnauthorized
	}
	return v.user, nil
}

// sweep drops expired results; a.mu is held. Accepted tokens are kept a while past their expiry
// for the outage fallback above.
func (a *HA) sweep(now time.Time) {
	for k, v := range a.cache {
		if now.Sub(v.until) > a.cfg.ValidFor {
			delete(a.cache, k)
		}
	}
}

// NonAdminTypes are the event types Home Assistant version lets a non-admin user subscribe to
// (HA-PROTOCOL.md §6; its SUBSCRIBE_ALLOWLIST took in the label, floor and category registries'
// updates in 2024.4); call_service is not among them. "" means the newest.
func NonAdminTypes(version string) []string {
	types := []string{
		"area_registry_updated", "component_loaded", "core_config_updated", "device_registry_updated",
		"entity_registry_updated", "lovelace_updated", "panels_updated", "recorder_5min_statistics_generated",
		"recorder_hourly_statistics_generated", "repairs_issue_registry_updated", "service_registered",
		"service_removed", "shopping_list_updated", "state_changed", "themes_updated",
	}
	if halink.VersionAtLeast(version, 2024, 4) {
		types = append(types, "category_registry_updated", "floor_registry_updated", "label_registry_updated")
	}
	return types
}

// versioned is a [UserLookup] that knows Home Assistant's version; [halink.Client] is one.
type versioned interface {
	Status() halink.Status
}

func (a *HA) userOf(u halink.User) User {
	// Named by id: display names need not be unique, and the per-user limits count by name.
	user := User{Name: u.ID, ID: u.ID, Admin: u.IsAdmin}
	if !u.IsAdmin {
		version := ""
		if v, ok := a.lookup.(versioned); ok {
			version = v.Status().HAVersion
		}
		user.Scope, _ = filter.Parse(map[string][]string{"event_types": {strings.Join(NonAdminTypes(version), ",")}})
	}
	return user
}
