package halink

import (
	"context"
	"encoding/json"
	"log/slog"
	"strings"
	"testing"
	"time"

	"hasse/internal/hass"
	"hasse/internal/hass/hajson"
)

// FuzzFrame feeds whole frames from Home Assistant (one message, or an array of them) through
// the read loop's handling: it must never panic, and every event it publishes must be one of
// subscription 2's, with compact JSON pieces and its derived fields consistent.
func FuzzFrame(f *testing.F) {
	ev := hajson.Event("state_changed", hajson.ChangedData("light.living_room", livingRoomOff, livingRoom), hajson.CtxUser)
	msg := `{"type":"event","event":` + ev + `,"id":2}`
	for _, seed := range []string{
		msg,
		"[" + msg + "," + msg + "]",
		`[{"id":3,"type":"result","success":true,"result":null},` + msg + `,{"id":4,"type":"pong"}]`,
		`{"type":"event","event":{"event_type":"call_service","data":{"domain":"light","service":"turn_on","service_data":{"entity_id":["light.a","light.b"]}},"origin":"LOCAL","time_fired":"2025-03-14T09:31:40+00:00","context":{"id":"x","parent_id":null,"user_id":null}},"id":2}`,
		`{"type":"event","event":{"event_type":"state_changed","data":"not an object"},"id":2}`,
		`{"event":{},"type":"event","id":2}`,
		`[]`, `[[]]`, `{}`, `[1,"x",null]`, `{"type":"event","id":7,"event":{"event_type":"x","data":{}}}`,
	} {
		f.Add([]byte(seed))
	}
	f.Fuzz(func(t *testing.T, frame []byte) {
		s := &session{c: &Client{san: testSanitizer, log: slog.New(slog.DiscardHandler)}, replies: make(chan message, 1024)}
		s.events.Store(2)
		var published []*hass.Event
		sink := sinkFunc(func(ev *hass.Event) { published = append(published, ev) })
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		if err := s.frame(ctx, frame, time.Unix(0, 0), sink); err != nil && !strings.Contains(err.Error(), "context") {
			t.Fatalf("frame(%q) = %v", frame, err)
		}
		for _, ev := range published {
			if ev.Type == "" {
				t.Errorf("frame(%q) published an event without a type", frame)
			}
			for _, piece := range [][]byte{ev.Data, ev.Context, ev.OldState, ev.NewState} {
				if piece != nil && !json.Valid(piece) {
					t.Errorf("frame(%q) published invalid JSON %q", frame, piece)
				}
			}
			// A malformed entity id ("0") gets no domain; a well-formed one its own.
			if d, _, ok := strings.Cut(ev.EntityID, "."); ok && ev.Domain != d && ev.Type != hass.TypeCallService {
				t.Errorf("frame(%q): entity %q with domain %q", frame, ev.EntityID, ev.Domain)
			}
		}
	})
}
