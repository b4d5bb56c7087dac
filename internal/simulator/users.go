package simulator

// This file is what the two users may do beyond the commands everyone has: who they are
// (auth/current_user, HA-PROTOCOL.md §14) and the admin-only commands. What a non-admin may
// subscribe to is allowedToUsers (commands.go); services are open to both, as in HA.

// handleCurrentUser is auth/current_user: the connection's user, as HA's auth integration
// describes it. Both users log in with HA's own username/password provider and have the
// authenticator app available but not enabled.
func handleCurrentUser(h *home, c *conn, id int64, _ map[string]any) error {
	u := c.user
	h.send(c, resultMessage(id, object{
		{"id", u.id},
		{"name", u.name},
		{"is_owner", u.owner},
		{"is_admin", u.isAdmin()},
		{"credentials", []any{object{{"auth_provider_type", "homeassistant"}, {"auth_provider_id", nil}}}},
		{"mfa_modules", []any{object{{"id", "totp"}, {"name", "Authenticator app"}, {"enabled", false}}}},
	}))
	return nil
}

// handleFireEvent is fire_event, admin-only as in HA (require_admin answers unauthorized after
// the schema passed): the event fires with origin REMOTE in a new context of the caller, and the
// result carries that context.
func handleFireEvent(h *home, c *conn, id int64, m map[string]any) error {
	if !c.user.isAdmin() {
		return errUnauthorized
	}
	var data any = map[string]any{}
	if d, ok := m["event_data"].(map[string]any); ok {
		data = cloneValue(d)
	}
	ctx := h.newContext("", c.user.id)
	h.publish(&event{eventType: m["event_type"].(string), data: data, ctx: ctx, at: h.now(), origin: "REMOTE"})
	h.send(c, resultMessage(id, object{{"context", ctx}}))
	return nil
}
