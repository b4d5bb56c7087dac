package hass

import (
	"errors"
	"testing"

	"hasse/internal/hass/hajson"
)

// BenchmarkNormalize measures Normalize on realistic state_changed events of about 1 KB: one
// with nothing to sanitise (the common case), one whose camera token must be redacted, and a
// token rotation that sanitising turns into a no-op.
func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct {
		name  string
		frame string
	}{
		{"clean", hajson.Event("state_changed", hajson.ChangedData("light.living_room", livingRoomOff, livingRoom), hajson.CtxUser)},
		{"sanitise", hajson.Event("state_changed", hajson.ChangedData("camera.driveway", cameraIdle1, cameraRecording), hajson.CtxNone)},
		{"noop", hajson.Event("state_changed", hajson.ChangedData("camera.driveway", cameraIdle1, cameraIdle2), hajson.CtxNone)},
	} {
		frame := []byte(bc.frame)
		b.Run(bc.name, func(b *testing.B) {
			b.SetBytes(int64(len(frame)))
			b.ReportAllocs()
			for b.Loop() {
				if _, err := Normalize(frame, received, testSanitizer); err != nil && !errors.Is(err, ErrNoop) {
					b.Fatal(err)
				}
			}
		})
	}
}
