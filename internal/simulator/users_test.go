package simulator

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCurrentUser(t *testing.T) {
	s, ts := startSim(t, Config{})
	persons := map[string]string{} // user id → the person's name
	for _, st := range s.States() {
		if domainOf(st.EntityID) == "person" {
			persons[st.Attributes["user_id"].(string)] = st.Attributes["friendly_name"].(string)
		}
	}
	for _, tc := range []struct {
		name, token  string
		person       string
		owner, admin bool
	}{
		{"admin", adminToken, "Dana", true, true},
		{"user", userToken, "Alex", false, false},
	} {
		c := login(t, ts, tc.token)
		c.send(`{"id":1,"type":"auth/current_user"}`)
		got := c.next()
		res, _ := got["result"].(map[string]any)
		id, _ := res["id"].(string)
		want := map[string]any{"id": 1.0, "type": "result", "success": true, "result": map[string]any{
			"id": id, "name": tc.person, "is_owner": tc.owner, "is_admin": tc.admin,
			"credentials": []any{map[string]any{"auth_provider_type": "homeassistant", "auth_provider_id": nil}},
			"mfa_modules": []any{map[string]any{"id": "totp", "name": "Authenticator app", "enabled": false}},
		}}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: auth/current_user (-want +got):\n%s", tc.name, diff)
		}
		if persons[id] != tc.person {
			t.Errorf("%s: user id %q belongs to person %q, want %s", tc.name, id, persons[id], tc.person)
		}
	}
}

// TestAdminOnly checks that fire_event is for admins only, as in HA, and what it does for them.
func TestAdminOnly(t *testing.T) {
	_, ts := startSim(t, Config{})
	user := login(t, ts, userToken)
	user.send(`{"id":1,"type":"fire_event","event_type":"doorbell","event_data":{"ring":1}}`)
	want := map[string]any{"id": 1.0, "type": "result", "success": false, "error": map[string]any{"code": "unauthorized", "message": "Unauthorized"}}
	if diff := cmp.Diff(want, user.next()); diff != "" {
		t.Errorf("non-admin fire_event (-want +got):\n%s", diff)
	}
	user.send(`{"id":2,"type":"fire_event"}`) // the schema is checked first
	if got := user.next()["error"].(map[string]any)["code"]; got != "invalid_format" {
		t.Errorf("non-admin fire_event without event_type: %v, want invalid_format", got)
	}

	admin := login(t, ts, adminToken)
	uid := userID(t, admin, 1)
	admin.subscribe(2, "doorbell")
	admin.send(`{"id":3,"type":"fire_event","event_type":"doorbell","event_data":{"ring":1}}`)
	ev := admin.next()["event"].(map[string]any)
	res := admin.next()
	ctx := res["result"].(map[string]any)["context"].(map[string]any)
	if ev["origin"] != "REMOTE" || ctx["user_id"] != uid || cmp.Diff(ctx, ev["context"]) != "" {
		t.Errorf("fire_event: event %v, result %v; want origin REMOTE in the caller's new context", ev, res)
	}
	if diff := cmp.Diff(map[string]any{"ring": 1.0}, ev["data"]); diff != "" {
		t.Errorf("fired data (-want +got):\n%s", diff)
	}
}
