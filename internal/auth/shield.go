package auth

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/time/rate"

	"hasse/internal/hass"
)

// failedLoginClearer resets Home Assistant's count of failed logins from hasse's address by
// logging in with hasse's own token; [hass.Client] is one.
type failedLoginClearer interface {
	ClearFailedLogins(ctx context.Context) error
}

// shield keeps Home Assistant from banning hasse's own address. HA counts every refused token as
// a failed login from that address and, with ip_ban_enabled and login_attempts_threshold, bans
// it after that many failures without a success in between, which would cut hasse's own link.
// So a question about a token waits for one of a few turns; a refused token's turn stays taken
// until a clearer (the lookup, when it is a [failedLoginClearer]) has logged in with hasse's own
// token after it, which resets HA's count. While clearing works, the count thus never exceeds
// the number of turns. Refusals are also rationed by a token bucket: while it is empty, no
// question is asked.
//
// The clearer is one goroutine at a time, started by a refusal; it ends once no refusal waits for
// it. The mutex guards the fields below it, never across I/O.
type shield struct {
	clearer  failedLoginClearer // nil: refused turns are given back at once
	timeout  time.Duration      // longest one clearing may take
	every    time.Duration      // the bucket's refill: one more refusal each
	log      *slog.Logger
	refusals *rate.Limiter  // refusals Home Assistant may still give
	clearing sync.WaitGroup // the clearer's goroutine

	mu        sync.Mutex
	turns     int           // free turns
	uncleared int           // refused turns the clearer has not yet given back
	running   bool          // the clearer's goroutine runs
	rationed  bool          // the bucket was found empty: an episode that was logged
	freed     chan struct{} // closed and replaced whenever turns are given back
}

func newShield(cfg HAConfig, clearer failedLoginClearer, log *slog.Logger) *shield {
	return &shield{
		clearer:  clearer,
		timeout:  cfg.Timeout + hass.RefusalCountWait, // a clearing first waits for HA to count the refusals
		every:    cfg.RefusalEvery,
		log:      log,
		refusals: rate.NewLimiter(rate.Every(cfg.RefusalEvery), cfg.Refusals),
		turns:    cfg.Outstanding,
		freed:    make(chan struct{}),
	}
}

// take waits for a turn to ask Home Assistant about a token. It fails with [ErrUnavailable],
// asking nothing, while the bucket of refusals is empty or when ctx ends first. A turn taken is
// given back by settle.
func (s *shield) take(ctx context.Context, now func() time.Time) error {
	for {
		s.mu.Lock()
		if s.refusals.TokensAt(now()) < 1 {
			first := !s.rationed
			s.rationed = true
			s.mu.Unlock()
			if first {
				s.log.LogAttrs(ctx, slog.LevelWarn, "home assistant refused too many tokens; refusing unknown ones unasked to protect the link",
					slog.Duration("one_more_every", s.every))
			}
			return ErrUnavailable
		}
		ended := s.rationed
		s.rationed = false
		taken := s.turns > 0
		if taken {
			s.turns--
		}
		freed := s.freed
		s.mu.Unlock()
		if ended {
			s.log.LogAttrs(ctx, slog.LevelInfo, "asking home assistant about unknown tokens again")
		}
		if taken {
			return nil
		}
		select {
		case <-freed:
		case <-ctx.Done():
			return ErrUnavailable
		}
	}
}

// settle ends a question taken at take: refused reports that Home Assistant refused the token.
// A refusal is charged to the bucket, and its turn is given back once the clearer has cleared it.
func (s *shield) settle(ctx context.Context, now time.Time, refused bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if refused {
		s.refusals.ReserveN(now, 1) // the bucket may go into debt when refusals come together
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
// gives them back too, and is logged: the bucket still rations refusals.
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
		if err != nil {
			s.log.LogAttrs(ctx, slog.LevelWarn, "cannot clear home assistant's count of failed logins", slog.Any("err", err))
		}
		s.mu.Lock()
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
