package hass

import (
	"errors"
	"testing"
)

// BenchmarkNormalize measures Normalize on realistic state_changed events of about 1 KB: one
// with nothing to sanitise (the common case), one whose camera token must be redacted, and a
// token rotation that sanitising turns into a no-op.
func BenchmarkNormalize(b *testing.B) {
	for _, bc := range []struct {
		name  string
		frame string
	}{
		{"clean", eventJSON("state_changed", changedData("light.living_room", livingRoomOff, livingRoom), ctxUser)},
		{"sanitise", eventJSON("state_changed", changedData("camera.driveway", cameraIdle1, cameraRecording), ctxNone)},
		{"noop", eventJSON("state_changed", changedData("camera.driveway", cameraIdle1, cameraIdle2), ctxNone)},
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
