package hass

import (
	"errors"
	"fmt"
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
	w := walk(b)
	for key, ok := w.key(); ok; key, ok = w.key() {
		m.set(key, &w)
	}
	return m
}

// set reads member key, whose value w is at, into m; other members are left to w to skip.
func (m *message) set(key []byte, w *members) {
	switch string(key) {
	case "id":
		m.id = parseID(w.value())
	case "type":
		m.typ = internString(w.value())
	case "event":
		m.event = w.value()
	case "success":
		m.success = string(w.value()) == "true"
	case "result":
		m.result = w.value()
	case "error":
		m.err = w.value()
	case "ha_version":
		m.version, _ = str(w.value())
	case "message":
		m.text, _ = str(w.value())
	}
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
	for w := walk(b); ; {
		key, val, ok := w.next()
		if !ok {
			break
		}
		switch string(key) {
		case "code":
			e.Code, _ = str(val)
		case "message":
			e.Message, _ = str(val)
		}
	}
	return e
}
