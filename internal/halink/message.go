package halink

import (
	"errors"
	"fmt"

	"hasse/internal/hass/jsonscan"
)

// Errors of the Home Assistant link.
var (
	// ErrAuthInvalid is Home Assistant refusing the access token (auth_invalid), or refusing it
	// the subscription to every event (a non-admin's token): a configuration error that
	// reconnecting will not fix. Errors wrapping it carry HA's message.
	ErrAuthInvalid = errors.New("home assistant rejected the access token")
	// ErrBanned is Home Assistant (or a proxy in front of it) answering the WebSocket upgrade
	// with 403 Forbidden: its ip_ban_enabled banned hasse's address after failed logins, and only
	// removing the address from ip_bans.yaml and restarting Home Assistant lifts it.
	ErrBanned = errors.New("home assistant refuses this address (HTTP 403): banned after failed logins")
	// ErrNotConnected is returned by commands while there is no connection to Home Assistant.
	ErrNotConnected = errors.New("not connected to home assistant")

	errPongTimeout = errors.New("no pong from home assistant in time")
)

// CommandError is Home Assistant answering a command with an error result (HA-PROTOCOL.md §5),
// such as {"code":"unknown_command","message":"Unknown command."} from an older version.
type CommandError struct {
	Command string // the command's type, "get_states"
	Code    string // HA's error code, "unknown_command"
	Message string // HA's message
}

// Error says which command Home Assistant refused, and why.
func (e *CommandError) Error() string {
	return fmt.Sprintf("home assistant answered %s with %s: %s", e.Command, e.Code, e.Message)
}

// message is one message from Home Assistant, as far as the client reads it. Its slices point
// into the frame it came from.
type message struct {
	id      int64
	typ     string // "event", "result", "pong", "auth_ok", …
	event   []byte // of an event message
	success bool   // of a result
	result  []byte // of a successful result
	err     []byte // of a failed result: {"code","message"}
	version string // ha_version of auth_required and auth_ok
	text    string // message of auth_invalid
}

// parseMessage reads message b, a JSON object in a validated frame.
func parseMessage(b []byte) message {
	var m message
	w := jsonscan.Walk(b)
	for key, ok := w.Key(); ok; key, ok = w.Key() {
		m.set(key, &w)
	}
	return m
}

// set reads member key, whose value w is at, into m; other members are left to w to skip.
func (m *message) set(key []byte, w *jsonscan.Members) {
	switch string(key) {
	case "id":
		m.id = parseID(w.Value())
	case "type":
		m.typ = messageType(w.Value())
	case "event":
		m.event = w.Value()
	case "success":
		m.success = string(w.Value()) == "true"
	case "result":
		m.result = w.Value()
	case "error":
		m.err = w.Value()
	case "ha_version":
		m.version, _ = jsonscan.Unquote(w.Value())
	case "message":
		m.text, _ = jsonscan.Unquote(w.Value())
	}
}

// messageTypes are the types of the messages the client reads, shared by every message of that
// type rather than copied out of each.
var messageTypes = []string{"event", "result", "pong", "auth_required", "auth_ok", "auth_invalid"}

// messageType returns the JSON string val, a message's type, as a Go string: one of
// messageTypes without allocating, or a copy of any other.
func messageType(val []byte) string {
	if len(val) >= 2 && val[0] == '"' {
		for _, t := range messageTypes {
			if string(val[1:len(val)-1]) == t {
				return t
			}
		}
	}
	s, _ := jsonscan.Unquote(val)
	return s
}

// parseID returns the positive JSON integer b, or 0 when b is anything else.
func parseID(b []byte) int64 {
	if len(b) == 0 || len(b) > 18 || b[0] == '0' {
		return 0
	}
	var n int64
	for _, c := range b {
		if c < '0' || c > '9' {
			return 0
		}
		n = n*10 + int64(c-'0')
	}
	return n
}

// commandError returns the error of a failed result to command typ.
func commandError(typ string, b []byte) *CommandError {
	e := &CommandError{Command: typ, Code: "unknown_error"}
	for w := jsonscan.Walk(b); ; {
		key, val, ok := w.Next()
		if !ok {
			break
		}
		switch string(key) {
		case "code":
			e.Code, _ = jsonscan.Unquote(val)
		case "message":
			e.Message, _ = jsonscan.Unquote(val)
		}
	}
	return e
}
