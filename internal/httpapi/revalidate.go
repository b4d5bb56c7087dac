package httpapi

import (
	"context"
	"errors"
	"log/slog"
	"sync"
	"time"

	"hasse/internal/auth"
	"hasse/internal/hub"
)

// Open streams are checked again when their token's validation runs out (SPEC.md §5.1): a token
// Home Assistant no longer accepts ends its streams with an error unauthorized event. Only an
// authenticator that says when its answers expire (auth.HA) needs this.

// expirer tells when the answer about a token runs out.
type expirer interface {
	Expires(tok auth.Token) time.Time
}

// streamTokens remembers the token each open stream came with; its mutex guards the map only.
type streamTokens struct {
	mu     sync.Mutex
	tokens map[string]auth.Token // connection id → token
}

func (st *streamTokens) add(id string, tok auth.Token) {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.tokens[id] = tok
}

func (st *streamTokens) remove(id string) {
	st.mu.Lock()
	defer st.mu.Unlock()
	delete(st.tokens, id)
}

// byToken returns the open streams grouped by token.
func (st *streamTokens) byToken() map[auth.Token][]string {
	st.mu.Lock()
	defer st.mu.Unlock()
	out := make(map[auth.Token][]string)
	for id, tok := range st.tokens {
		out[tok] = append(out[tok], id)
	}
	return out
}

// revalidate checks, every Config.RevalidateEvery until ctx ends, the tokens of open streams
// whose validation has run out, and ends the streams of those Home Assistant now refuses.
func (s *Server) revalidate(ctx context.Context) {
	exp := s.authn.(expirer)
	tick := time.NewTicker(s.cfg.RevalidateEvery)
	defer tick.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-tick.C:
			for tok, ids := range s.streams.byToken() {
				if now.Before(exp.Expires(tok)) {
					continue
				}
				if _, err := s.authn.Authenticate(ctx, tok); !errors.Is(err, auth.ErrUnauthorized) {
					continue // still valid, or Home Assistant cannot be asked: keep the streams
				}
				for _, id := range ids {
					s.hub.End(ctx, id, hub.ErrUnauthorized)
				}
				s.log.LogAttrs(ctx, slog.LevelInfo, "token no longer valid; its streams ended", slog.Int("streams", len(ids)))
			}
		}
	}
}
