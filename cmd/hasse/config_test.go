package main

import (
	"bytes"
	"context"
	"io"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// TestBadSettingsStopStartup checks that each bad setting stops start-up with exit code 2 and one
// line naming it.
func TestBadSettingsStopStartup(t *testing.T) {
	for _, tc := range []struct {
		name    string
		args    []string
		environ []string
		mention string
	}{
		{"format", []string{"demo"}, []string{"MCP_SSE_FORMAT=xml"}, "MCP_SSE_FORMAT"},
		{"format flag", []string{"demo", "--format", "xml"}, nil, "MCP_SSE_FORMAT"},
		{"auth junk", []string{"demo"}, []string{"MCP_SSE_AUTH=maybe"}, "MCP_SSE_AUTH"},
		{"max clients", []string{"demo"}, []string{"MCP_SSE_MAX_CLIENTS=abc"}, "MCP_SSE_MAX_CLIENTS"},
		{"max clients zero", []string{"demo"}, []string{"MCP_SSE_MAX_CLIENTS=0"}, "MCP_SSE_MAX_CLIENTS"},
		{"duration", []string{"demo"}, []string{"MCP_SSE_PING_INTERVAL=often"}, "MCP_SSE_PING_INTERVAL"},
		{"queue bytes", []string{"demo"}, []string{"MCP_SSE_CLIENT_QUEUE_BYTES=lots"}, "MCP_SSE_CLIENT_QUEUE_BYTES"},
		{"bool", []string{"demo"}, []string{"MCP_SSE_EVENTS_ENABLED=perhaps"}, "MCP_SSE_EVENTS_ENABLED"},
		{"unknown env", []string{"demo"}, []string{"MCP_SSE_PING_INTERVALL=5s"}, "MCP_SSE_PING_INTERVALL"},
		{"auth cache", []string{"serve"}, []string{"MCP_SSE_AUTH_HA_CACHE=100ms", "HA_URL=http://h:8123", "HA_TOKEN=x"}, "MCP_SSE_AUTH_HA_CACHE"},
		{"log level", []string{"demo"}, []string{"MCP_LOG_LEVEL=loud"}, "MCP_LOG_LEVEL"},
		{"tls half", []string{"demo"}, []string{"MCP_HTTP_TLS_CERT=/x.pem"}, "MCP_HTTP_TLS_KEY"},
		{"tls missing", []string{"demo"}, []string{"MCP_HTTP_TLS_CERT=/x.pem", "MCP_HTTP_TLS_KEY=/y.pem"}, "TLS certificate"},
		{"redis", []string{"demo"}, []string{"MCP_REDIS_URL=redis://x"}, "MCP_REDIS_URL"},
		{"serve no url", []string{"serve"}, []string{"MCP_SSE_AUTH=none", "HA_TOKEN=x"}, "HA_URL"},
		{"serve no token", []string{"serve"}, []string{"MCP_SSE_AUTH=none", "HA_URL=http://h:8123"}, "HA_TOKEN"},
		{"serve tokens no file", []string{"serve"}, []string{"MCP_SSE_AUTH=tokens", "HA_URL=http://h:8123", "HA_TOKEN=x"}, "MCP_SSE_TOKENS_FILE"},
		{"serve bad url", []string{"serve"}, []string{"MCP_SSE_AUTH=none", "HA_URL=ftp://h", "HA_TOKEN=x", "MCP_HTTP_ADDR=127.0.0.1:0"}, "HA_URL"},
		{"tokens file missing", []string{"demo"}, []string{"MCP_SSE_TOKENS_FILE=/nonexistent/tokens.yaml"}, "MCP_SSE_TOKENS_FILE"},
		{"trusted proxies", []string{"demo"}, []string{"MCP_HTTP_TRUSTED_PROXIES=10.0.0.0/8,nonsense"}, "MCP_HTTP_TRUSTED_PROXIES"},
		{"rate limit zero", []string{"demo"}, []string{"MCP_RATE_LIMIT_MAX_REQUESTS=0"}, "MCP_RATE_LIMIT_MAX_REQUESTS"},
		{"rate window", []string{"demo"}, []string{"MCP_RATE_LIMIT_WINDOW_MS=soon"}, "MCP_RATE_LIMIT_WINDOW_MS"},
		{"stray argument", []string{"demo", "extra"}, nil, "extra"},
		{"unknown flag", []string{"demo", "--colour"}, nil, "colour"},
		{"redact removes what is not there", []string{"demo"}, []string{"MCP_SSE_REDACT_ATTRIBUTES=-passwrd"}, "MCP_SSE_REDACT_ATTRIBUTES"},
		{"origin without scheme", []string{"demo"}, []string{"MCP_HTTP_ALLOWED_ORIGINS=https://a.example,dash.example"}, "MCP_HTTP_ALLOWED_ORIGINS"},
		{"events path taken", []string{"demo"}, []string{"MCP_SSE_EVENTS_PATH=/health"}, "MCP_SSE_EVENTS_PATH"},
		{"events path unclean", []string{"demo", "--events-path", "/a/../b"}, nil, "MCP_SSE_EVENTS_PATH"},
		{"events path unparseable", []string{"demo"}, []string{"MCP_SSE_EVENTS_PATH=/%zz"}, "MCP_SSE_EVENTS_PATH"},
		{"tokens file under auth none", []string{"demo"}, []string{"MCP_SSE_AUTH=none", "MCP_SSE_TOKENS_FILE=/etc/hasse/tokens.yaml"}, "MCP_SSE_TOKENS_FILE"},
		{"tokens file under auth ha", []string{"serve"}, []string{"MCP_SSE_TOKENS_FILE=/etc/hasse/tokens.yaml", "HA_URL=http://h:8123", "HA_TOKEN=x"}, "MCP_SSE_TOKENS_FILE"},
		{"bad listen address", []string{"demo"}, []string{"MCP_HTTP_ADDR=nowhere:-1"}, "MCP_HTTP_ADDR"},
	} {
		var stderr bytes.Buffer
		err := run(context.Background(), tc.args, tc.environ, io.Discard, &stderr)
		if err == nil {
			t.Errorf("%s: run succeeded", tc.name)
			continue
		}
		msg := err.Error()
		if exitCode(err) != 2 || strings.Contains(msg, "\n") || !strings.Contains(msg+stderr.String(), tc.mention) {
			t.Errorf("%s: exit %d, error %q; want exit 2 and one line naming %q", tc.name, exitCode(err), msg, tc.mention)
		}
	}
}

func TestFlagsWinOverEnvironment(t *testing.T) {
	s, err := loadSettings("demo", []string{"--max-clients", "7", "--queue-bytes", "64KiB", "--ping-interval", "5s"},
		[]string{"MCP_SSE_MAX_CLIENTS=3", "MCP_SSE_CLIENT_QUEUE_BYTES=2MiB", "MCP_SSE_MAX_CLIENTS_PER_USER=4", "PORT=4000"}, io.Discard)
	if err != nil {
		t.Fatal(err)
	}
	got := []any{s.MaxClients, int(s.QueueBytes), s.PingInterval, s.MaxClientsPerUser, s.Addr, s.Auth, s.Format}
	want := []any{7, 64 << 10, 5 * time.Second, 4, "127.0.0.1:4000", "tokens", "envelope"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("settings diff (-want +got):\n%s", diff)
	}
}

// TestRedactSettingAddsToTheDefaults checks that MCP_SSE_REDACT_ATTRIBUTES changes the default
// list rather than replacing it: setting it to password used to let camera access_tokens through.
func TestRedactSettingAddsToTheDefaults(t *testing.T) {
	for _, tc := range []struct {
		setting    string
		has, lacks []string
	}{
		{"", []string{"access_token", "token", "password", "api_key", "code", "pin", "secret"}, nil},
		{"password", []string{"access_token", "token", "password", "code"}, nil},
		{"wifi_key, -code,-pin", []string{"wifi_key", "access_token", "password"}, []string{"code", "pin"}},
	} {
		s, err := loadSettings("demo", nil, []string{"MCP_SSE_REDACT_ATTRIBUTES=" + tc.setting}, io.Discard)
		if err != nil {
			t.Fatalf("%q: %v", tc.setting, err)
		}
		for _, name := range tc.has {
			if !slices.Contains(s.redact, name) {
				t.Errorf("MCP_SSE_REDACT_ATTRIBUTES=%q: redacts %q, want %q among them", tc.setting, s.redact, name)
			}
		}
		for _, name := range tc.lacks {
			if slices.Contains(s.redact, name) {
				t.Errorf("MCP_SSE_REDACT_ATTRIBUTES=%q: redacts %q, want no %q", tc.setting, s.redact, name)
			}
		}
	}
}

func TestByteSize(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int
		ok   bool
	}{
		{"1048576", 1 << 20, true}, {"1MiB", 1 << 20, true}, {"512KiB", 512 << 10, true}, {"2MB", 2_000_000, true},
		{"10 KiB", 10 << 10, true}, {"7B", 7, true}, {"", 0, false}, {"1.5MiB", 0, false}, {"-1", 0, false}, {"1TiB", 0, false},
	} {
		var b byteSize
		err := b.UnmarshalText([]byte(tc.in))
		if (err == nil) != tc.ok || (tc.ok && int(b) != tc.want) {
			t.Errorf("byteSize(%q) = %d, %v; want %d, ok %v", tc.in, b, err, tc.want, tc.ok)
		}
	}
}

func TestVersionAndUsage(t *testing.T) {
	var out bytes.Buffer
	if err := run(context.Background(), []string{"version"}, nil, &out, io.Discard); err != nil || !strings.HasPrefix(out.String(), "hasse ") {
		t.Errorf("version: %v, %q", err, out.String())
	}
	if err := run(context.Background(), nil, nil, io.Discard, io.Discard); exitCode(err) != 2 {
		t.Errorf("no command: %v, want exit 2", err)
	}
	if err := run(context.Background(), []string{"frobnicate"}, nil, io.Discard, io.Discard); exitCode(err) != 2 {
		t.Errorf("unknown command: %v, want exit 2", err)
	}
}
