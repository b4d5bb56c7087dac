package halink

import (
	"errors"
	"fmt"
	"net/url"
	"strings"
)

// websocketURL turns the Home Assistant address a user configures into the URL of its WebSocket
// API: "http://homeassistant.local:8123" and "http://…:8123/" become
// "ws://homeassistant.local:8123/api/websocket", "https://…" becomes "wss://…", a base behind a
// reverse proxy ("https://example.org/ha") keeps its path, and a URL already ending in /api or
// /api/websocket is completed or kept.
func websocketURL(raw string) (string, error) {
	if raw == "" {
		return "", errors.New("URL is required")
	}
	u, err := url.Parse(strings.TrimSpace(raw))
	if err != nil {
		return "", fmt.Errorf("URL %q: %w", raw, err)
	}
	switch u.Scheme {
	case "http", "ws":
		u.Scheme = "ws"
	case "https", "wss":
		u.Scheme = "wss"
	default:
		return "", fmt.Errorf("URL %q: want http://, https://, ws:// or wss://", raw)
	}
	switch {
	case u.Host == "" || u.Hostname() == "":
		return "", fmt.Errorf("URL %q has no host", raw)
	case u.User != nil:
		return "", fmt.Errorf("URL %q holds credentials: use the token setting", u.Redacted())
	case u.RawQuery != "" || u.Fragment != "" || u.ForceQuery:
		return "", fmt.Errorf("URL %q: a query or fragment is not allowed", raw)
	}
	path := strings.TrimRight(u.Path, "/")
	switch {
	case strings.HasSuffix(path, "/api/websocket"):
	case strings.HasSuffix(path, "/api"):
		path += "/websocket"
	default:
		path += "/api/websocket"
	}
	u.Path, u.RawPath = path, ""
	return u.String(), nil
}
