package simulator

import (
	"errors"
	"strconv"
)

// HA's error codes (HA-PROTOCOL.md §5).
const (
	codeIDReuse            = "id_reuse"
	codeInvalidFormat      = "invalid_format"
	codeNotFound           = "not_found"
	codeUnknownCommand     = "unknown_command"
	codeUnknownError       = "unknown_error"
	codeUnauthorized       = "unauthorized"
	codeHomeAssistantError = "home_assistant_error"
	codeServiceValidation  = "service_validation_error"
)

// haError is an error a command handler fails with: HA's error code and message, and the
// translation HA attaches to errors raised with a translation key (key "" = none).
type haError struct {
	code, message string
	tDomain, tKey string
	tPlaceholders object // nil = null
}

func (e *haError) Error() string { return e.code + ": " + e.message }

// errUnauthorized is HA's Unauthorized exception, as the generic handler reports it.
var errUnauthorized = &haError{code: codeUnauthorized, message: "Unauthorized"}

// command is one entry of the command table: the keys its messages may carry besides id and type,
// and its handler. Handlers run on Run's goroutine and answer through h.send.
type command struct {
	fields []field
	handle func(h *home, c *conn, id int64, m map[string]any) error
}

// commands is the command table: WebSocket message type → command.
func commands() map[string]command {
	return map[string]command{
		"supported_features": {
			fields: []field{{key: "features", required: true, check: isIntMap}},
			handle: handleSupportedFeatures,
		},
		"subscribe_events": {
			fields: []field{{key: "event_type", check: isString}},
			handle: handleSubscribeEvents,
		},
		"unsubscribe_events": {
			fields: []field{{key: "subscription", required: true, check: isPositiveInt}},
			handle: handleUnsubscribeEvents,
		},
		"get_states":   {handle: handleGetStates},
		"get_config":   {handle: handleGetConfig},
		"ping":         {handle: handlePing},
		"get_services": {handle: handleGetServices},
		"call_service": {
			fields: []field{
				{key: "domain", required: true, check: isString},
				{key: "service", required: true, check: isString},
				{key: "target", check: isTarget},
				{key: "service_data", check: isDict},
				{key: "return_response", check: isBool},
			},
			handle: handleCallService,
		},
		"subscribe_entities": {
			fields: []field{{key: "entity_ids", check: isEntityIDs}},
			handle: handleSubscribeEntities,
		},
		"fire_event": {
			fields: []field{{key: "event_type", required: true, check: isString}, {key: "event_data", check: isDict}},
			handle: handleFireEvent,
		},
		"auth/current_user": {handle: handleCurrentUser},
	}
}

// handleFrame handles the commands of one client frame in order, within one turn, as HA does. A
// connection a fault has cut off handles nothing more.
func (h *home) handleFrame(c *conn, msgs []any) {
	for _, msg := range msgs {
		if c.dropped {
			return
		}
		h.handleMessage(c, msg)
	}
}

// handleMessage checks a command's envelope and dispatches it (HA-PROTOCOL.md §4). The id is
// consumed only when a handler was found, whatever the handler then answers.
func (h *home) handleMessage(c *conn, msg any) {
	m, ok := msg.(map[string]any)
	if !ok {
		h.send(c, errorMessage(0, codeInvalidFormat, "Message incorrectly formatted."))
		return
	}
	id, idOK := jsonInt(m["id"])
	typ, typeOK := m["type"].(string)
	if !idOK || id < 1 || !typeOK || typ == "" {
		h.send(c, errorMessage(m["id"], codeInvalidFormat, "Message incorrectly formatted."))
		return
	}
	if id <= c.lastID {
		h.send(c, errorMessage(id, codeIDReuse, "Identifier values have to increase."))
		return
	}
	cmd, ok := h.commands[typ]
	if !ok {
		h.log.Debug("received unknown command", "type", typ)
		h.send(c, errorMessage(id, codeUnknownCommand, "Unknown command."))
		return
	}
	fields := append([]field{{key: "id", check: anyValue}, {key: "type", check: anyValue}}, cmd.fields...)
	if problem := validate(m, fields); problem != "" {
		h.send(c, errorMessage(id, codeInvalidFormat, problem))
	} else if err := cmd.handle(h, c, id, m); err != nil {
		var he *haError
		if !errors.As(err, &he) {
			he = &haError{code: codeUnknownError, message: "Unknown error"}
		}
		h.send(c, he.reply(id))
	}
	c.lastID = id
}

// resultMessage is a successful result: {"id","type":"result","success":true,"result"}.
func resultMessage(id int64, result any) []byte {
	return appendJSON(nil, object{{"id", id}, {"type", "result"}, {"success", true}, {"result", result}})
}

// errorMessage is a failed result. id is whatever the client sent (it may not be an integer).
func errorMessage(id any, code, message string) []byte {
	return (&haError{code: code, message: message}).reply(id)
}

// reply is the failed result of command id: HA's error object, with the translation keys when
// the error has one.
func (e *haError) reply(id any) []byte {
	body := object{{"code", e.code}, {"message", e.message}}
	if e.tKey != "" {
		var placeholders any
		if e.tPlaceholders != nil {
			placeholders = e.tPlaceholders
		}
		body = append(body, member{"translation_key", e.tKey}, member{"translation_placeholders", placeholders},
			member{"translation_domain", e.tDomain})
	}
	return appendJSON(nil, object{{"id", id}, {"type", "result"}, {"success", false}, {"error", body}})
}

func handleSupportedFeatures(h *home, c *conn, id int64, m map[string]any) error {
	features := m["features"].(map[string]any)
	_, on := features["coalesce_messages"]
	c.coalesce.Store(on)
	h.send(c, resultMessage(id, nil))
	return nil
}

// allowedToUsers reports whether a non-admin user may subscribe to eventType on a core of shape
// sh: HA's SUBSCRIBE_ALLOWLIST (HA-PROTOCOL.md §6), which took in the label, floor and category
// registries' updates in 2024.4.
func allowedToUsers(eventType string, sh shape) bool {
	switch eventType {
	case "area_registry_updated", "component_loaded", "core_config_updated",
		"device_registry_updated", "entity_registry_updated", "lovelace_updated", "panels_updated",
		"recorder_5min_statistics_generated", "recorder_hourly_statistics_generated",
		"repairs_issue_registry_updated", "service_registered", "service_removed",
		"shopping_list_updated", "state_changed", "themes_updated":
		return true
	case "category_registry_updated", "floor_registry_updated", "label_registry_updated":
		return sh.labelsFloors
	}
	return false
}

func handleSubscribeEvents(h *home, c *conn, id int64, m map[string]any) error {
	eventType := matchAll
	if t, ok := m["event_type"].(string); ok {
		eventType = t
	}
	if !c.user.isAdmin() && !allowedToUsers(eventType, h.shape) {
		return errUnauthorized
	}
	if eventType == "state_reported" {
		return &haError{code: codeUnknownError, message: "Event filter is required for event state_reported"}
	}
	s := &subscription{c: c, id: id, eventType: eventType}
	c.subs[id] = s
	h.bus.add(s)
	h.send(c, resultMessage(id, nil))
	return nil
}

func handleUnsubscribeEvents(h *home, c *conn, id int64, m map[string]any) error {
	sid, _ := coerceInt(m["subscription"])
	s, ok := c.subs[sid]
	if !ok {
		h.send(c, errorMessage(id, codeNotFound, "Subscription not found."))
		return nil
	}
	delete(c.subs, sid)
	h.bus.remove(s)
	h.send(c, resultMessage(id, nil))
	return nil
}

func handleGetStates(h *home, c *conn, id int64, _ map[string]any) error {
	b := append([]byte(`{"id":`), strconv.FormatInt(id, 10)...)
	b = append(b, `,"type":"result","success":true,"result":[`...)
	for i, eid := range h.sortedEntityIDs() {
		if i > 0 {
			b = append(b, ',')
		}
		st := h.states[eid]
		b = st.appendWire(b, h.shape)
	}
	h.send(c, append(b, "]}"...))
	return nil
}

func handleGetConfig(h *home, c *conn, id int64, _ map[string]any) error {
	h.send(c, resultMessage(id, h.config()))
	return nil
}

func handlePing(h *home, c *conn, id int64, _ map[string]any) error {
	h.send(c, appendJSON(nil, object{{"id", id}, {"type", "pong"}}))
	return nil
}
