package hatest

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/coder/websocket"
)

// WS is an authenticated connection to Home Assistant's WebSocket API, for commands one at a
// time (no subscriptions: every message read answers the command sent last).
type WS struct {
	conn *websocket.Conn
	next int
}

// CommandError is Home Assistant's refusal of a command.
type CommandError struct {
	Code, Message string
}

func (e *CommandError) Error() string { return e.Code + ": " + e.Message }

// DialWS connects to the WebSocket API at baseURL (http://host:port) and authenticates with token.
func DialWS(ctx context.Context, baseURL, token string) (*WS, error) {
	conn, _, err := websocket.Dial(ctx, strings.Replace(baseURL, "http", "ws", 1)+"/api/websocket", nil)
	if err != nil {
		return nil, err
	}
	conn.SetReadLimit(256 << 20)
	ws := &WS{conn: conn}
	var hello struct {
		Type string `json:"type"`
	}
	if err := ws.read(ctx, &hello); err != nil || hello.Type != "auth_required" {
		conn.CloseNow()
		return nil, fmt.Errorf("no auth_required (%q): %v", hello.Type, err)
	}
	if err := ws.write(ctx, map[string]any{"type": "auth", "access_token": token}); err != nil {
		conn.CloseNow()
		return nil, err
	}
	var answer struct {
		Type    string `json:"type"`
		Message string `json:"message"`
	}
	if err := ws.read(ctx, &answer); err != nil {
		conn.CloseNow()
		return nil, err
	}
	if answer.Type != "auth_ok" {
		// Home Assistant counts the refusal (a failed login, and its notification) after it has
		// answered, and then closes the connection. Its handler is cancelled when the client
		// goes first, so closing now could leave the refusal uncounted: wait for its close.
		waitClose(ctx, conn)
		return nil, fmt.Errorf("Home Assistant refused the token: %s %s", answer.Type, answer.Message)
	}
	return ws, nil
}

// waitClose reads conn until Home Assistant closes it, for at most 30 s, then closes it too.
func waitClose(ctx context.Context, conn *websocket.Conn) {
	ctx, cancel := context.WithTimeout(ctx, 30*time.Second)
	defer cancel()
	for {
		if _, _, err := conn.Read(ctx); err != nil {
			break
		}
	}
	conn.CloseNow()
}

// Close ends the connection.
func (ws *WS) Close() error { return ws.conn.Close(websocket.StatusNormalClosure, "") }

// Command sends msg (its "type" and fields; the id is added) and returns the result, or a
// *CommandError when Home Assistant answers success false.
func (ws *WS) Command(ctx context.Context, msg map[string]any) (json.RawMessage, error) {
	ws.next++
	id := ws.next
	out := map[string]any{"id": id}
	for k, v := range msg {
		out[k] = v
	}
	if err := ws.write(ctx, out); err != nil {
		return nil, err
	}
	for {
		var res struct {
			ID      int             `json:"id"`
			Type    string          `json:"type"`
			Success bool            `json:"success"`
			Result  json.RawMessage `json:"result"`
			Error   *CommandError   `json:"error"`
		}
		if err := ws.read(ctx, &res); err != nil {
			return nil, err
		}
		if res.ID != id || res.Type != "result" {
			continue
		}
		if !res.Success {
			if res.Error == nil {
				res.Error = &CommandError{Code: "unknown", Message: "success false without an error"}
			}
			return nil, res.Error
		}
		return res.Result, nil
	}
}

// Do runs Command and decodes its result into out (nil: ignored).
func (ws *WS) Do(ctx context.Context, msg map[string]any, out any) error {
	res, err := ws.Command(ctx, msg)
	if err != nil {
		return fmt.Errorf("%v: %w", msg["type"], err)
	}
	if out == nil {
		return nil
	}
	return json.Unmarshal(res, out)
}

func (ws *WS) write(ctx context.Context, v any) error {
	b, err := json.Marshal(v)
	if err != nil {
		return err
	}
	return ws.conn.Write(ctx, websocket.MessageText, b)
}

func (ws *WS) read(ctx context.Context, v any) error {
	_, b, err := ws.conn.Read(ctx)
	if err != nil {
		return err
	}
	return json.Unmarshal(b, v)
}

// Event is one event of Home Assistant's bus as subscribe_events delivers it.
type Event struct {
	EventType string          `json:"event_type"`
	Data      json.RawMessage `json:"data"`
	Origin    string          `json:"origin"`
	TimeFired string          `json:"time_fired"`
	Context   json.RawMessage `json:"context"`
}

// ContextID is the id of the event's context.
func (e Event) ContextID() string {
	var c struct {
		ID string `json:"id"`
	}
	_ = json.Unmarshal(e.Context, &c)
	return c.ID
}

// Subscribe subscribes to eventType ("" for every event) and returns once Home Assistant has
// confirmed it; NextEvent reads the events. A connection that subscribes runs no more commands.
func (ws *WS) Subscribe(ctx context.Context, eventType string) error {
	msg := map[string]any{"type": "subscribe_events"}
	if eventType != "" {
		msg["event_type"] = eventType
	}
	_, err := ws.Command(ctx, msg)
	return err
}

// NextEvent returns the next event of the subscriptions.
func (ws *WS) NextEvent(ctx context.Context) (Event, error) {
	for {
		var msg struct {
			Type  string `json:"type"`
			Event Event  `json:"event"`
		}
		if err := ws.read(ctx, &msg); err != nil {
			return Event{}, err
		}
		if msg.Type == "event" {
			return msg.Event, nil
		}
	}
}
