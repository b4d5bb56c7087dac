package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"hasse/internal/auth"
)

// Open streams and statistics sockets are checked again when their token's validation runs out
// (SPEC.md §5.1): one whose token Home Assistant no longer accepts ends (a stream with an error
// unauthorized event), and so does one an administrator opened whose user is an administrator no
// longer. Only an authenticator that says when its answers expire (auth.HA) needs this.

// expirer tells when the answer about a token runs out; a refusal has run out already, so that
// what its token still holds open ends at the next check.
type expirer interface {
	Expires(tok auth.Token) time.Time
}

// opened is an open stream or statistics socket, as revalidate sees it.
type opened struct {
	tok   auth.Token
	admin bool   // opened by an administrator: it ends when the user is one no longer
	end   func() // ends it: its token no longer grants it
}

// openedByToken remembers what is open and with which token; its mutex guards the map only.
type openedByToken struct {
	mu    sync.Mutex
	byKey map[string]opened // by connection id, or a socket's own key
}

func (o *openedByToken) add(key string, op opened) {
	o.mu.Lock()
	defer o.mu.Unlock()
	o.byKey[key] = op
}

func (o *openedByToken) remove(key string) {
	o.mu.Lock()
	defer o.mu.Unlock()
	delete(o.byKey, key)
}

// byToken returns what is open, grouped by token.
func (o *openedByToken) byToken() map[auth.Token][]opened {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make(map[auth.Token][]opened)
	for _, op := range o.byKey {
		out[op.tok] = append(out[op.tok], op)
	}
	return out
}

// revalidate checks, every Config.RevalidateEvery until ctx ends, the tokens of what is open
// whose validation has run out, and ends what they no longer grant.
func (s *Server) revalidate(ctx context.Context) {
	exp := s.authn.(expirer)
	tick := time.NewTicker(s.cfg.RevalidateEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for tok, ops := range s.streams.byToken() {
				if now.Before(exp.Expires(tok)) {
					continue
				}
				u, err := s.authn.Authenticate(ctx, tok)
				if err != nil && !errors.Is(err, auth.ErrUnauthorized) {
					continue // Home Assistant cannot be asked: keep them
				}
				ended := 0
				for _, op := range ops {
					if err != nil || op.admin && !u.Admin {
						op.end()
						ended++
					}
				}
				if ended > 0 {
					s.log.LogAttrs(ctx, slog.LevelInfo, "token no longer valid, or no longer an administrator's; what it held open ended",
						slog.Int("ended", ended), slog.Bool("refused", err != nil))
				}
			}
		}
	}
}
