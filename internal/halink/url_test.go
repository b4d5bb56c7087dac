package halink

import "testing"

func TestWebsocketURL(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"http://homeassistant.local:8123", "ws://homeassistant.local:8123/api/websocket"},
		{"http://homeassistant.local:8123/", "ws://homeassistant.local:8123/api/websocket"},
		{" https://ha.example.org ", "wss://ha.example.org/api/websocket"},
		{"https://example.org/ha/", "wss://example.org/ha/api/websocket"},
		{"http://10.0.0.5:8123/api", "ws://10.0.0.5:8123/api/websocket"},
		{"http://10.0.0.5:8123/api/", "ws://10.0.0.5:8123/api/websocket"},
		{"ws://[::1]:8123/api/websocket", "ws://[::1]:8123/api/websocket"},
		{"wss://ha.example.org/api/websocket/", "wss://ha.example.org/api/websocket"},
		{"HTTP://Ha.Local:8123", "ws://Ha.Local:8123/api/websocket"},
	} {
		if got, err := websocketURL(tc.in); err != nil || got != tc.want {
			t.Errorf("websocketURL(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
	for _, in := range []string{
		"",
		"homeassistant.local:8123",
		"ftp://ha.local",
		"http://",
		"http://:8123",
		"http://user:secret@ha.local:8123",
		"http://ha.local:8123/?token=abc",
		"http://ha.local:8123/#x",
		"http://ha.local:8123/?",
		"http://ha local",
	} {
		if got, err := websocketURL(in); err == nil {
			t.Errorf("websocketURL(%q) = %q, want an error", in, got)
		}
	}
}
