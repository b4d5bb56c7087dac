package hatest

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
)

// onboard makes the owner through onboarding (as the first page of a new Home Assistant does),
// waits for RUNNING, places the entities in their areas and makes the non-admin user.
func (h *Home) onboard(ctx context.Context) error {
	owner := User{Name: "Owner", Username: "owner", Password: "owner-password-1"}
	var created struct {
		AuthCode string `json:"auth_code"`
	}
	status, b, err := h.REST(ctx, "POST", "/api/onboarding/users", "", map[string]any{
		"client_id": h.clientID(), "name": owner.Name, "username": owner.Username,
		"password": owner.Password, "language": "en"})
	if err != nil {
		return err
	}
	if status != http.StatusOK || json.Unmarshal(b, &created) != nil || created.AuthCode == "" {
		return fmt.Errorf("onboarding the owner: %d %s", status, b)
	}
	access, err := h.token(ctx, created.AuthCode)
	if err != nil {
		return err
	}
	if owner, err = h.withLongLivedToken(ctx, owner, access); err != nil {
		return err
	}
	h.Owner = owner
	if err := h.WaitRunning(ctx); err != nil {
		return err
	}
	if err := h.placeAreas(ctx); err != nil {
		return err
	}
	h.Guest, err = h.NewUser(ctx, "Guest", "guest", false)
	return err
}

// NewUser makes a user with a password (group system-users, or system-admin when admin), logs
// in as it through the login flow and mints its own long-lived token.
func (h *Home) NewUser(ctx context.Context, name, username string, admin bool) (User, error) {
	u := User{Name: name, Username: username, Password: username + "-password-1"}
	group := "system-users"
	if admin {
		group = "system-admin"
	}
	var created struct {
		User struct {
			ID string `json:"id"`
		} `json:"user"`
	}
	if err := h.Command(ctx, h.Owner.Token, map[string]any{"type": "config/auth/create", "name": name,
		"group_ids": []string{group}, "local_only": false}, &created); err != nil {
		return u, err
	}
	u.ID = created.User.ID
	if err := h.Command(ctx, h.Owner.Token, map[string]any{"type": "config/auth_provider/homeassistant/create",
		"user_id": u.ID, "username": username, "password": u.Password}, nil); err != nil {
		return u, err
	}
	access, err := h.Login(ctx, u)
	if err != nil {
		return u, err
	}
	return h.withLongLivedToken(ctx, u, access)
}

// Login runs the login flow with u's password and returns a short-lived access token.
func (h *Home) Login(ctx context.Context, u User) (string, error) {
	var flow struct {
		FlowID string `json:"flow_id"`
		Type   string `json:"type"`
		Result string `json:"result"`
	}
	status, b, err := h.REST(ctx, "POST", "/auth/login_flow", "", map[string]any{
		"client_id": h.clientID(), "handler": []any{"homeassistant", nil}, "redirect_uri": h.clientID()})
	if err != nil {
		return "", err
	}
	if status != http.StatusOK || json.Unmarshal(b, &flow) != nil || flow.FlowID == "" {
		return "", fmt.Errorf("login flow: %d %s", status, b)
	}
	status, b, err = h.REST(ctx, "POST", "/auth/login_flow/"+flow.FlowID, "", map[string]any{
		"client_id": h.clientID(), "username": u.Username, "password": u.Password})
	if err != nil {
		return "", err
	}
	if status != http.StatusOK || json.Unmarshal(b, &flow) != nil || flow.Type != "create_entry" {
		return "", fmt.Errorf("login flow as %s: %d %s", u.Username, status, b)
	}
	return h.token(ctx, flow.Result)
}

// token exchanges an authorization code for an access token.
func (h *Home) token(ctx context.Context, code string) (string, error) {
	form := url.Values{"grant_type": {"authorization_code"}, "code": {code}, "client_id": {h.clientID()}}
	req, err := http.NewRequestWithContext(ctx, "POST", h.URL+"/auth/token", strings.NewReader(form.Encode()))
	if err != nil {
		return "", err
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return "", err
	}
	defer resp.Body.Close()
	var tok struct {
		AccessToken string `json:"access_token"`
	}
	if err := json.NewDecoder(resp.Body).Decode(&tok); err != nil || resp.StatusCode != http.StatusOK {
		return "", fmt.Errorf("/auth/token: %s %v", resp.Status, err)
	}
	return tok.AccessToken, nil
}

// withLongLivedToken mints a long-lived token for u over a connection authenticated by access.
func (h *Home) withLongLivedToken(ctx context.Context, u User, access string) (User, error) {
	u.TokenName = "hasse tests: " + u.Username
	var tok string
	err := h.Command(ctx, access, map[string]any{"type": "auth/long_lived_access_token",
		"client_name": u.TokenName, "lifespan": 3650}, &tok)
	u.Token = tok
	return u, err
}

// RevokeToken deletes the refresh token behind u's long-lived token, as the user's profile page
// does: every request with the token is refused from then on.
func (h *Home) RevokeToken(ctx context.Context, u User) error {
	access, err := h.Login(ctx, u)
	if err != nil {
		return err
	}
	var tokens []struct {
		ID         string `json:"id"`
		ClientName string `json:"client_name"`
		Type       string `json:"type"`
	}
	if err := h.Command(ctx, access, map[string]any{"type": "auth/refresh_tokens"}, &tokens); err != nil {
		return err
	}
	for _, t := range tokens {
		if t.Type == "long_lived_access_token" && t.ClientName == u.TokenName {
			return h.Command(ctx, access, map[string]any{"type": "auth/delete_refresh_token", "refresh_token_id": t.ID}, nil)
		}
	}
	return fmt.Errorf("no long-lived token %q for %s", u.TokenName, u.Username)
}

// placeAreas makes the areas of Areas that onboarding did not make (it makes Living Room,
// Kitchen and Bedroom) and places their entities and devices in them.
func (h *Home) placeAreas(ctx context.Context) error {
	ws, err := DialWS(ctx, h.URL, h.Owner.Token)
	if err != nil {
		return err
	}
	defer ws.Close()
	var existing []struct {
		AreaID string `json:"area_id"`
		Name   string `json:"name"`
	}
	if err := ws.Do(ctx, map[string]any{"type": "config/area_registry/list"}, &existing); err != nil {
		return err
	}
	have := map[string]string{}
	for _, a := range existing {
		have[a.AreaID] = a.Name
	}
	for _, a := range Areas {
		if name, ok := have[a.ID]; !ok {
			var area struct {
				AreaID string `json:"area_id"`
			}
			if err := ws.Do(ctx, map[string]any{"type": "config/area_registry/create", "name": a.Name}, &area); err != nil {
				return err
			}
			if area.AreaID != a.ID {
				return fmt.Errorf("area %q has id %q, want %q", a.Name, area.AreaID, a.ID)
			}
		} else if name != a.Name {
			return fmt.Errorf("area %q is named %q, want %q", a.ID, name, a.Name)
		}
		for _, e := range a.Entities {
			if err := ws.Do(ctx, map[string]any{"type": "config/entity_registry/update", "entity_id": e, "area_id": a.ID}, nil); err != nil {
				return err
			}
		}
		if a.DeviceOf == "" {
			continue
		}
		var entry struct {
			DeviceID string `json:"device_id"`
		}
		if err := ws.Do(ctx, map[string]any{"type": "config/entity_registry/get", "entity_id": a.DeviceOf}, &entry); err != nil {
			return err
		}
		if err := ws.Do(ctx, map[string]any{"type": "config/device_registry/update", "device_id": entry.DeviceID, "area_id": a.ID}, nil); err != nil {
			return err
		}
	}
	return nil
}

// Command runs one WebSocket command on a connection of its own, authenticated by token, and
// decodes its result into out (nil: ignored).
func (h *Home) Command(ctx context.Context, token string, msg map[string]any, out any) error {
	ws, err := DialWS(ctx, h.URL, token)
	if err != nil {
		return err
	}
	defer ws.Close()
	return ws.Do(ctx, msg, out)
}

func (h *Home) clientID() string { return h.URL + "/" }
