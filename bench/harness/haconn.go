package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"strconv"
	"time"

	"github.com/coder/websocket"
)

// authTimeout is how long Home Assistant waits for the auth message.
const authTimeout = 10 * time.Second

// serveWebSocket runs one connection: the auth handshake, then commands until it ends.
func (h *fakeHA) serveWebSocket(w http.ResponseWriter, r *http.Request) {
	h.handlers.Add(1)
	defer h.handlers.Done()
	ws, err := websocket.Accept(w, r, &websocket.AcceptOptions{CompressionMode: websocket.CompressionDisabled})
	if err != nil {
		return
	}
	defer ws.CloseNow()
	ws.SetReadLimit(4 << 20)
	ctx := r.Context()
	s := &haSession{ws: ws, subs: map[int64]bool{}}
	if !h.authenticate(ctx, s) {
		return
	}
	h.mu.Lock()
	if h.closed {
		h.mu.Unlock()
		return
	}
	h.sessions[s] = struct{}{}
	h.mu.Unlock()
	defer func() {
		h.mu.Lock()
		delete(h.sessions, s)
		h.mu.Unlock()
	}()
	var last int64 // the last id accepted
	for {
		typ, msg, err := ws.Read(ctx)
		if err != nil {
			return
		}
		if typ != websocket.MessageText {
			continue // binary frames carry streams this home has none of
		}
		cmds, ok := splitCommands(msg)
		if !ok {
			return // Home Assistant closes on a frame that is not JSON, without a reply
		}
		for _, c := range cmds {
			if h.command(ctx, s, c, &last) != nil {
				return
			}
		}
	}
}

// authenticate sends auth_required and checks the auth message (HA-PROTOCOL.md §2).
func (h *fakeHA) authenticate(ctx context.Context, s *haSession) bool {
	if s.send(ctx, map[string]any{"type": "auth_required", "ha_version": haVersion}) != nil {
		return false
	}
	actx, cancel := context.WithTimeout(ctx, authTimeout)
	defer cancel()
	_, msg, err := s.ws.Read(actx)
	if err != nil {
		return false
	}
	var auth struct {
		Type  string `json:"type"`
		Token string `json:"access_token"`
	}
	switch {
	case json.Unmarshal(msg, &auth) != nil || auth.Type != "auth" || auth.Token == "":
		_ = s.send(ctx, map[string]any{"type": "auth_invalid", "message": "Auth message incorrectly formatted: expected an auth message with an access token"})
		return false
	case h.token != "" && auth.Token != h.token:
		_ = s.send(ctx, map[string]any{"type": "auth_invalid", "message": "Invalid access token or password"})
		return false
	}
	return s.send(ctx, map[string]any{"type": "auth_ok", "ha_version": haVersion}) == nil
}

// splitCommands returns the commands of one frame: a JSON object, or an array of them.
func splitCommands(msg []byte) ([]json.RawMessage, bool) {
	msg = bytes.TrimSpace(msg)
	if !json.Valid(msg) {
		return nil, false
	}
	if len(msg) > 0 && msg[0] == '[' {
		var cmds []json.RawMessage
		return cmds, json.Unmarshal(msg, &cmds) == nil
	}
	return []json.RawMessage{msg}, true
}

// haCommand holds the members of a command that the fake Home Assistant reads.
type haCommand struct {
	ID           json.RawMessage `json:"id"`
	Type         string          `json:"type"`
	EventType    string          `json:"event_type"`
	Subscription int64           `json:"subscription"`
}

// command answers one command; an error means the connection is gone. Ids must be integers
// that grow; a command of a known type uses its id up, even when it then fails (§4).
func (h *fakeHA) command(ctx context.Context, s *haSession, raw json.RawMessage, last *int64) error {
	var c haCommand
	err := json.Unmarshal(raw, &c)
	id, idErr := strconv.ParseInt(string(c.ID), 10, 64)
	if err != nil || idErr != nil || id < 1 || c.Type == "" {
		echo := c.ID
		if len(echo) == 0 {
			echo = json.RawMessage("null")
		}
		return s.send(ctx, failure(echo, "invalid_format", "Message incorrectly formatted."))
	}
	if id <= *last {
		return s.send(ctx, failure(c.ID, "id_reuse", "Identifier values have to increase."))
	}
	answer, known := h.answers[c.Type]
	if !known {
		return s.send(ctx, failure(c.ID, "unknown_command", "Unknown command."))
	}
	*last = id
	return answer(ctx, s, id, c)
}

// answer replies to a command of one type, with the command's id.
type answer func(ctx context.Context, s *haSession, id int64, c haCommand) error

// makeAnswers maps each command type the fake Home Assistant knows to its answer.
func (h *fakeHA) makeAnswers() map[string]answer {
	result := func(v any) answer {
		return func(ctx context.Context, s *haSession, id int64, _ haCommand) error {
			return s.send(ctx, success(id, v))
		}
	}
	return map[string]answer{
		"ping": func(ctx context.Context, s *haSession, id int64, _ haCommand) error {
			return s.send(ctx, map[string]any{"id": id, "type": "pong"})
		},
		"supported_features": result(nil), // coalesce_messages is accepted; nothing is ever queued to coalesce
		"subscribe_events": func(ctx context.Context, s *haSession, id int64, c haCommand) error {
			// The result goes first, then events: publish waits for s.mu until both are done.
			wants := c.EventType == "" || c.EventType == "*" || c.EventType == "state_changed"
			s.mu.Lock()
			err := s.send(ctx, success(id, nil))
			s.subs[id] = wants
			s.mu.Unlock()
			if err != nil {
				return err
			}
			if wants {
				h.once.Do(func() { close(h.subscribed) })
			}
			return nil
		},
		"unsubscribe_events": func(ctx context.Context, s *haSession, id int64, c haCommand) error {
			s.mu.Lock()
			_, ok := s.subs[c.Subscription]
			delete(s.subs, c.Subscription)
			s.mu.Unlock()
			if !ok {
				return s.send(ctx, failure(json.RawMessage(strconv.FormatInt(id, 10)), "not_found", "Subscription not found."))
			}
			return s.send(ctx, success(id, nil))
		},
		"get_states": func(ctx context.Context, s *haSession, id int64, _ haCommand) error {
			return s.send(ctx, success(id, h.states()))
		},
		"get_config":                  result(haConfig()),
		"config/area_registry/list":   result([]any{}),
		"config/device_registry/list": result([]any{}),
		"config/entity_registry/list": func(ctx context.Context, s *haSession, id int64, _ haCommand) error {
			return s.send(ctx, success(id, h.entityRegistry()))
		},
		"auth/current_user": result(map[string]any{
			"id": benchUserID, "name": "Bench", "is_owner": true, "is_admin": true,
			"credentials": []any{map[string]any{"auth_provider_type": "homeassistant", "auth_provider_id": nil}},
			"mfa_modules": []any{},
		}),
	}
}

// benchUserID is the id of the fake Home Assistant's one user.
const benchUserID = "8c3b6a2f1e4d4c0b9a7f5e3d2c1b0a99"

// haConfig is get_config's result: a running Home Assistant (HA-PROTOCOL.md §9).
func haConfig() map[string]any {
	return map[string]any{
		"allowlist_external_dirs": []string{"/config/www"}, "allowlist_external_urls": []string{},
		"components": []string{"light", "http", "websocket_api"}, "config_dir": "/config",
		"config_source": "storage", "country": nil, "currency": "EUR", "debug": false, "elevation": 0,
		"external_url": nil, "internal_url": nil, "language": "en", "latitude": 0.0, "location_name": "Bench",
		"longitude": 0.0, "radius": 100, "recovery_mode": false, "safe_mode": false, "state": "RUNNING",
		"time_zone": "UTC", "version": haVersion, "whitelist_external_dirs": []string{"/config/www"},
		"unit_system": map[string]string{"length": "km", "accumulated_precipitation": "mm", "area": "m²",
			"mass": "g", "pressure": "Pa", "temperature": "°C", "volume": "L", "wind_speed": "m/s"},
	}
}

// entityRegistry is config/entity_registry/list's result: every light, in no area and on no
// device (§15).
func (h *fakeHA) entityRegistry() []map[string]any {
	h.mu.Lock()
	n := len(h.lights)
	h.mu.Unlock()
	out := make([]map[string]any, n)
	for i := range out {
		out[i] = map[string]any{
			"area_id": nil, "categories": map[string]any{}, "config_entry_id": nil, "device_id": nil,
			"disabled_by": nil, "entity_category": nil, "entity_id": entityID(i), "has_entity_name": false,
			"hidden_by": nil, "icon": nil, "id": newHexID(), "labels": []string{}, "name": nil,
			"options": map[string]any{}, "original_name": "Bench " + strconv.Itoa(i), "platform": "template",
			"translation_key": nil, "unique_id": "bench_" + strconv.Itoa(i),
		}
	}
	return out
}

func success(id int64, result any) map[string]any {
	return map[string]any{"id": id, "type": "result", "success": true, "result": result}
}

func failure(id json.RawMessage, code, message string) map[string]any {
	return map[string]any{"id": id, "type": "result", "success": false,
		"error": map[string]any{"code": code, "message": message}}
}

// send writes one message as a frame of its own.
func (s *haSession) send(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return s.ws.Write(ctx, websocket.MessageText, b)
}
