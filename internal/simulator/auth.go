package simulator

import (
	"context"
	"crypto/subtle"
	"errors"
	"math/rand/v2"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"
)

// authTimeout is how long a client has to send its auth message (HA-PROTOCOL.md §1).
const authTimeout = 10 * time.Second

// user is one Home Assistant user who can log in with a token.
type user struct {
	id       string // 32 hex characters
	name     string
	admin    bool
	owner    bool
	token    string
	promoted *atomic.Bool // the plain user's: an administrator while set (Promote); nil for the owner
	revoked  *atomic.Bool // the plain user's: its token refused while set (Revoke); nil for the owner
}

// isAdmin reports whether u is an administrator now.
func (u *user) isAdmin() bool { return u.admin || u.promoted != nil && u.promoted.Load() }

// newUsers returns the home's users: Dana, the owner and admin, with cfg.Token, and Alex, a plain
// user, with cfg.UserToken (a user without a token cannot log in, but still lives in the home).
func newUsers(cfg Config, r *rand.Rand) []*user {
	return []*user{
		{id: hexID(r, 16), name: "Dana", admin: true, owner: true, token: cfg.Token},
		{id: hexID(r, 16), name: "Alex", token: cfg.UserToken, promoted: new(atomic.Bool), revoked: new(atomic.Bool)},
	}
}

// userByToken returns the user whose token is token, comparing in constant time.
func (s *Simulator) userByToken(token string) *user {
	var found *user
	for _, u := range s.users {
		if u.token != "" && subtle.ConstantTimeCompare([]byte(u.token), []byte(token)) == 1 && (u.revoked == nil || !u.revoked.Load()) {
			found = u
		}
	}
	return found
}

// authenticate runs the auth phase (HA-PROTOCOL.md §2): auth_required, then the client's auth
// message, which may already be on its way; auth_ok, or auth_invalid and a close. It returns the
// user, or false after closing the connection.
func (c *conn) authenticate(ctx context.Context) (*user, bool) {
	version := c.sim.cfg.Version
	if err := c.ws.Write(ctx, websocket.MessageText, appendJSON(nil, object{
		{"type", "auth_required"}, {"ha_version", version},
	})); err != nil {
		_ = c.ws.CloseNow()
		return nil, false
	}
	actx, cancel := context.WithTimeout(ctx, c.sim.authTimeout)
	typ, data, err := c.ws.Read(actx)
	cancel()
	if err != nil {
		if errors.Is(err, context.DeadlineExceeded) || errors.Is(actx.Err(), context.DeadlineExceeded) {
			c.log.Warn("did not receive auth message within 10 seconds")
		}
		_ = c.ws.CloseNow()
		return nil, false
	}
	if typ != websocket.MessageText {
		c.log.Warn("received non-text auth message")
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
		return nil, false
	}
	msg, err := parseJSON(data)
	if err != nil {
		c.log.Warn("received invalid JSON")
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
		return nil, false
	}
	u, reason := c.sim.checkAuth(msg)
	if u == nil {
		c.log.Warn("authentication failed", "reason", reason)
		_ = c.ws.Write(ctx, websocket.MessageText, appendJSON(nil, object{
			{"type", "auth_invalid"}, {"message", reason},
		}))
		if reason == invalidAuth { // a malformed message is no login attempt
			c.sim.countFailedLogin(ctx, c.remote)
		}
		_ = c.ws.Close(websocket.StatusNormalClosure, "")
		return nil, false
	}
	c.sim.bans.success(c.remote) // before auth_ok: a client that has it finds the count cleared
	if err := c.ws.Write(ctx, websocket.MessageText, appendJSON(nil, object{
		{"type", "auth_ok"}, {"ha_version", version},
	})); err != nil {
		_ = c.ws.CloseNow()
		return nil, false
	}
	return u, true
}

// authSchema is HA's AUTH_MESSAGE_SCHEMA: type "auth" and one of access_token or api_password.
func authSchema() []field {
	return []field{
		{key: "type", required: true, check: isLiteral("auth")},
		{key: "access_token", check: isString},
		{key: "api_password", check: isString},
	}
}

// checkAuth validates an auth message and returns its user, or nil and the auth_invalid message.
func (s *Simulator) checkAuth(msg any) (*user, string) {
	if problem := validate(msg, authSchema()); problem != "" {
		return nil, "Auth message incorrectly formatted: " + problem
	}
	m := msg.(map[string]any)
	if _, ok := m["access_token"]; ok {
		if _, ok := m["api_password"]; ok {
			return nil, "Auth message incorrectly formatted: two or more values in the same group of exclusion 'auth' @ data[<auth>]"
		}
	}
	token, _ := m["access_token"].(string)
	if u := s.userByToken(token); u != nil && token != "" && !s.refuseAuth.Load() {
		return u, ""
	}
	return nil, invalidAuth
}

// invalidAuth is auth_invalid's message for a token HA does not know; only this failure counts as
// a failed login.
const invalidAuth = "Invalid access token or password"
