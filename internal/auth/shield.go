package auth

import (
	"context"
	"fmt"
	"log/slog"
	"slices"
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
	waiting   []*waiter          // questions waiting for a turn, in the order they came
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
// taken is given back by settle. Questions that wait are given turns known tokens first, then
// those of addresses without recent refusals, then the rest, each in the order they came: while
// Home Assistant takes seconds over each refusal, bogus tokens from many addresses would
// otherwise keep a new user's real one waiting out its time.
func (s *shield) take(ctx context.Context, addr string, now func() time.Time, known bool) error {
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
	if s.turns == 0 && s.failed { // the turns wait for a clearing that failed
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
	var w *waiter
	if s.turns > 0 {
		s.turns--
	} else {
		w = &waiter{rank: 2, granted: make(chan struct{})}
		switch {
		case known:
			w.rank = 0
		case b != nil && b.refusals.TokensAt(now()) >= float64(s.burst):
			w.rank = 1
		}
		s.waiting = append(s.waiting, w)
	}
	s.mu.Unlock()
	if ended {
		s.log.LogAttrs(ctx, slog.LevelInfo, "asking home assistant about unknown tokens from the address again", slog.String("ip", addr))
	}
	if w == nil {
		return nil
	}
	select {
	case <-w.granted:
		if !w.ok {
			return errNoTurn // a clearing failed: no turn comes
		}
		s.mu.Lock()
		defer s.mu.Unlock()
		if b := s.bucketOf(addr, now()); !known && (b == nil || b.refusals.TokensAt(now()) < 1) {
			s.giveBack(1) // refusals for addr came while it waited: it is rationed now
			return ErrUnavailable
		}
		return nil
	case <-ctx.Done():
		s.mu.Lock()
		defer s.mu.Unlock()
		if i := slices.Index(s.waiting, w); i >= 0 {
			s.waiting = slices.Delete(s.waiting, i, i+1)
		} else if w.ok { // given one as ctx ended: it goes to the next
			s.giveBack(1)
		}
		return errNoTurn
	}
}

// waiter is a question waiting for a turn.
type waiter struct {
	rank    int           // who goes first: 0 a known token, 1 an address without recent refusals, 2 the rest
	granted chan struct{} // closed when it got a turn (ok) or none will come
	ok      bool          // set before granted is closed
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
			s.failWaiting() // they learn at once that no turn comes
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

// giveBack frees n turns and hands them to the questions waiting, the first of the best rank
// first; s.mu is held.
func (s *shield) giveBack(n int) {
	s.turns += n
	for s.turns > 0 && len(s.waiting) > 0 {
		best := 0
		for i, w := range s.waiting {
			if w.rank < s.waiting[best].rank {
				best = i
			}
		}
		w := s.waiting[best]
		s.waiting = slices.Delete(s.waiting, best, best+1)
		s.turns--
		w.ok = true
		close(w.granted)
	}
}

// failWaiting tells the questions waiting for a turn that none comes; s.mu is held.
func (s *shield) failWaiting() {
	for _, w := range s.waiting {
		close(w.granted)
	}
	s.waiting = nil
}
