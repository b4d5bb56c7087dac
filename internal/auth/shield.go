package auth

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hasse/internal/halink"
)

// failedLoginClearer resets Home Assistant's count of failed logins from hasse's address by
// logging in with hasse's own token; [halink.Client] is one.
type failedLoginClearer interface {
	ClearFailedLogins(ctx context.Context) error
}

// shield keeps Home Assistant from banning hasse's own address. HA counts every refused token as
// a failed login from that address and, with ip_ban_enabled and login_attempts_threshold, bans
// it after that many failures without a success in between, which would cut hasse's own link.
// So a question about a token waits for one of a few turns; a refused token's turn stays taken
// until a clearer (the lookup, when it is a [failedLoginClearer]) has logged in with hasse's own
// token after HA counted the refusal, which resets HA's count. While clearing works, the count
// thus never exceeds the number of turns.
//
// Refusals are also rationed per client address by a token bucket each: while an address's
// bucket is empty, no question is asked for it, so one client sending bogus tokens cannot keep
// others' new tokens from being checked. Buckets that have refilled are forgotten when there are
// many; past maxAddresses addresses with refusals in their buckets, new addresses are refused
// unasked too.
//
// The clearer is one goroutine at a time, started by a refusal; it ends once no refusal waits for
// it. A clearing that fails (Home Assistant unreachable, or refusing hasse's own token) keeps
// its turns taken: another question could be the failed login that bans the address. While they
// are held, questions that find no free turn are refused unasked at once, and the first of them
// clearRetry after the first one starts a clearing again. The mutex guards the fields
// below it, never across I/O.
type shield struct {
	clearer  failedLoginClearer // nil: refused turns are given back at once
	timeout  time.Duration      // longest one clearing may take
	every    time.Duration      // the buckets' refill: one more refusal each
	burst    int                // the buckets' size
	log      *slog.Logger
	clearing sync.WaitGroup // the clearer's goroutine

	mu        sync.Mutex
	buckets   map[string]*bucket // by client address
	turns     int                // free turns
	uncleared int                // refused turns the clearer has not yet given back
	running   bool               // the clearer's goroutine runs
	failed    bool               // the last clearing failed: its turns stay taken
	retryAt   time.Time          // when a question may start another clearing; zero until one asks
	freed     chan struct{}      // closed and replaced whenever turns are given back
}

// bucket is one client address's ration of refusals.
type bucket struct {
	refusals *rate.Limiter
	rationed bool // the bucket was found empty: an episode that was logged
}

// maxAddresses bounds the client addresses the shield keeps a bucket for.
const maxAddresses = 4096

// clearRetry is the least time between a failed clearing and the next try.
const clearRetry = 30 * time.Second

// errNoTurn refuses a question that found no turn: a clearing failed, or the turns stayed taken
// until its time ran out. Most likely Home Assistant is slow or down, so an expired acceptance
// may stand, as when it does not answer.
var errNoTurn = fmt.Errorf("%w: %w", ErrUnavailable, errUnreachable)

func newShield(cfg HAConfig, clearer failedLoginClearer, log *slog.Logger) *shield {
	return &shield{
		clearer: clearer,
		timeout: cfg.Timeout + halink.RefusalCountWait, // a clearing first waits for HA to count the refusals
		every:   cfg.RefusalEvery,
		burst:   cfg.Refusals,
		log:     log,
		buckets: make(map[string]*bucket),
		turns:   cfg.Outstanding,
		freed:   make(chan struct{}),
	}
}

// bucketOf returns addr's bucket, making one if there is room; s.mu is held.
func (s *shield) bucketOf(addr string, now time.Time) *bucket {
	if b := s.buckets[addr]; b != nil {
		return b
	}
	if len(s.buckets) >= maxAddresses/2 {
		for a, b := range s.buckets { // forget the buckets that are full again
			if b.refusals.TokensAt(now) >= float64(s.burst) {
				delete(s.buckets, a)
			}
		}
	}
	if len(s.buckets) >= maxAddresses {
		return nil
	}
	b := &bucket{refusals: rate.NewLimiter(rate.Every(s.every), s.burst)}
	s.buckets[addr] = b
	return b
}

// take waits for a turn to ask Home Assistant about a token for a client at addr. It fails with
// [ErrUnavailable], asking nothing, while addr's bucket of refusals is empty (unless the token is
// known: accepted before, so a refusal is unlikely and an answer is owed, or a revoked token
// would keep working while its address's refusals are rationed), or when ctx ends first. A turn
// taken is given back by settle.
func (s *shield) take(ctx context.Context, addr string, now func() time.Time, known bool) error {
	for {
		s.mu.Lock()
		b := s.bucketOf(addr, now())
		if !known && (b == nil || b.refusals.TokensAt(now()) < 1) {
			first := b != nil && !b.rationed
			if b != nil {
				b.rationed = true
			}
			s.mu.Unlock()
			if first {
				s.log.LogAttrs(ctx, slog.LevelWarn, "home assistant refused too many tokens from one address; refusing its unknown ones unasked to protect the link",
					slog.String("ip", addr), slog.Duration("one_more_every", s.every))
			}
			return ErrUnavailable
		}
		taken := s.turns > 0
		if !taken && s.failed { // the turns wait for a clearing that failed
			switch t := now(); {
			case s.retryAt.IsZero(): // the first question since: the wait starts (the clearer has no clock of its own)
				s.retryAt = t.Add(clearRetry)
			case !s.running && !t.Before(s.retryAt):
				s.retryAt = t.Add(clearRetry)
				s.running = true
				s.clearing.Go(func() { s.clear(context.WithoutCancel(ctx)) })
			}
			s.mu.Unlock()
			return errNoTurn
		}
		ended := false // an episode of rationing: not when a known token passed it by
		if b != nil && b.refusals.TokensAt(now()) >= 1 {
			ended, b.rationed = b.rationed, false
		}
		if taken {
			s.turns--
		}
		freed := s.freed
		s.mu.Unlock()
		if ended {
			s.log.LogAttrs(ctx, slog.LevelInfo, "asking home assistant about unknown tokens from the address again", slog.String("ip", addr))
		}
		if taken {
			return nil
		}
		select {
		case <-freed:
		case <-ctx.Done():
			return errNoTurn
		}
	}
}

// settle ends a question taken at take for addr: refused reports that Home Assistant refused the
// token. A refusal is charged to addr's bucket, and its turn is given back once the clearer has
// cleared it.
func (s *shield) settle(ctx context.Context, addr string, now func() time.Time, refused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if b := s.bucketOf(addr, now()); refused && b != nil {
		b.refusals.ReserveN(now(), 1) // the bucket may go into debt when refusals come together
	}
	if !refused || s.clearer == nil {
		s.giveBack(1)
		return
	}
	s.uncleared++
	if !s.running {
		s.running = true
		s.clearing.Go(func() { s.clear(context.WithoutCancel(ctx)) })
	}
}

// clear is the clearer's goroutine: it logs in with hasse's own token while refusals wait for it,
// each time for all of those that came before, and gives back their turns. A failed clearing
// keeps them, is logged, and ends the goroutine; take starts another later.
func (s *shield) clear(ctx context.Context) {
	for {
		s.mu.Lock()
		n := s.uncleared
		if n == 0 {
			s.running = false
			s.mu.Unlock()
			return
		}
		s.mu.Unlock()
		cctx, cancel := context.WithTimeout(ctx, s.timeout)
		err := s.clearer.ClearFailedLogins(cctx)
		cancel()
		s.mu.Lock()
		if err != nil {
			first := !s.failed
			s.failed, s.retryAt, s.running = true, time.Time{}, false
			s.giveBack(0) // the questions waiting for a turn learn at once that none comes
			s.mu.Unlock()
			if first {
				s.log.LogAttrs(ctx, slog.LevelWarn, "cannot clear home assistant's count of failed logins; unknown tokens are refused unasked until it can be",
					slog.Any("err", err), slog.Duration("next_try_after", clearRetry))
			}
			return
		}
		if s.failed {
			s.log.LogAttrs(ctx, slog.LevelInfo, "home assistant's count of failed logins cleared; unknown tokens are asked about again")
		}
		s.failed, s.retryAt = false, time.Time{}
		s.uncleared -= n
		s.giveBack(n)
		s.mu.Unlock()
	}
}

// giveBack frees n turns and wakes the questions waiting for one; s.mu is held.
func (s *shield) giveBack(n int) {
	s.turns += n
	close(s.freed)
	s.freed = make(chan struct{})
}
