package halink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sync"

	"hasse/internal/hass"
)

// User is a Home Assistant user, as auth/current_user describes it (HA-PROTOCOL.md §14).
type User struct {
	ID      string `json:"id"`
	Name    string `json:"name"`
	IsAdmin bool   `json:"is_admin"`
}

// CurrentUser asks Home Assistant whose token is: it authenticates a short connection of its
// own with token and sends auth/current_user. A refused token gives an error wrapping
// [ErrAuthInvalid]; any other error means Home Assistant could not be asked.
func (c *Client) CurrentUser(ctx context.Context, token string) (User, error) {
	s, err := c.dial(ctx, token)
	if err != nil {
		return User{}, err
	}
	defer s.ws.CloseNow()
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HandshakeTimeout)
	defer cancel()
	var wg sync.WaitGroup
	ctx, stop := context.WithCancelCause(ctx)
	defer func() { stop(nil); s.ws.CloseNow(); close(s.stopped); wg.Wait() }()
	wg.Go(func() { stop(s.read(ctx, discard{})) })
	wg.Go(func() { stop(s.write(ctx)) })
	res, err := s.command(ctx, request{typ: "auth/current_user", body: []byte(`{"type":"auth/current_user"}`)})
	if err != nil {
		return User{}, err
	}
	var u User
	if err := json.Unmarshal(res, &u); err != nil || u.ID == "" {
		return User{}, fmt.Errorf("auth/current_user: unexpected result %.200s", res)
	}
	return u, nil
}

// ClearFailedLogins waits until Home Assistant has counted every token refused so far, then
// authenticates a short connection of its own with hasse's token and closes it. Home Assistant
// counts every refused token, CurrentUser's included, as a failed login from hasse's address and
// may ban the address after a few (ip_ban_enabled, login_attempts_threshold); a successful login
// resets that count, but only a count that exists: HA counts a refusal after replying to it and
// closes the connection when done, so the login waits for those closes (at most 30 s each). While
// Home Assistant refuses hasse's own token (the link went down with [ErrAuthInvalid]) it asks
// nothing and returns that error: one more try would be one more failed login.
func (c *Client) ClearFailedLogins(ctx context.Context) error {
	if err := c.Status().LastError; errors.Is(err, ErrAuthInvalid) {
		return fmt.Errorf("clear failed logins: %w", err)
	}
	if err := c.refused.counted(ctx); err != nil {
		return fmt.Errorf("clear failed logins: home assistant has not closed a refused connection: %w", err)
	}
	s, err := c.dial(ctx, c.cfg.Token)
	if err != nil {
		return fmt.Errorf("clear failed logins: %w", err)
	}
	s.ws.CloseNow()
	return nil
}

// discard is a Sink for a session that subscribes to nothing.
type discard struct{}

func (discard) Publish(*hass.Event)    {}
func (discard) Connected([]hass.State) {}
func (discard) Disconnected()          {}
