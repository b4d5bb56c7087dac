package halink

import (
	"context"
	"log/slog"
	"strings"
	"testing"

	"hasse/internal/hass"
	"hasse/internal/hass/hajson"
)

// BenchmarkIngest measures what the read loop does with a frame once it is read: validating,
// parsing the message and normalising its events, for one event and for an array of 16.
func BenchmarkIngest(b *testing.B) {
	ev := hajson.Event("state_changed", hajson.ChangedData("light.living_room", livingRoomOff, livingRoom), hajson.CtxUser)
	msg := `{"type":"event","event":` + ev + `,"id":2}`
	array := "[" + strings.Repeat(msg+",", 15) + msg + "]"
	s := &session{c: &Client{san: testSanitizer, log: slog.New(slog.DiscardHandler)}}
	s.events.Store(2)
	for _, bc := range []struct {
		name   string
		frame  string
		events int
	}{{"event", msg, 1}, {"array16", array, 16}} {
		b.Run(bc.name, func(b *testing.B) {
			frame := []byte(bc.frame)
			published := 0
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if err := s.frame(context.Background(), frame, received, sinkFunc(func(*hass.Event) { published++ })); err != nil {
					b.Fatal(err)
				}
			}
			if published != b.N*bc.events {
				b.Fatalf("%d events published in %d frames, want %d each", published, b.N, bc.events)
			}
		})
	}
}
