package writer

import (
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestConfigRefuses(t *testing.T) {
	for _, cfg := range []Config{
		{KeepAlive: -time.Second}, {WriteTimeout: -1}, {FinalWriteTimeout: -1}, {ShutdownRetry: -1}, {Writers: -2},
	} {
		if _, err := New(cfg); err == nil {
			t.Errorf("New(%+v) succeeded, want an error", cfg)
		}
	}
}

// TestChunkFraming: the pool's in-place chunks and the hand-over's size lines are one framing.
func TestChunkFraming(t *testing.T) {
	for _, body := range []string{"a", strings.Repeat("x", 15), strings.Repeat("y", 16), strings.Repeat("z", 70000)} {
		buf := append(make([]byte, chunkHead), body...)
		want := strconv.FormatInt(int64(len(body)), 16) + "\r\n" + body + "\r\n"
		if got := string(chunk(buf)); got != want {
			t.Errorf("chunk of %d bytes = %.40q…, want %.40q…", len(body), got, want)
		}
		if got, want := string(appendChunkSize(nil, len(body))), strconv.FormatInt(int64(len(body)), 16)+"\r\n"; got != want {
			t.Errorf("appendChunkSize(%d) = %q, want %q", len(body), got, want)
		}
	}
}
