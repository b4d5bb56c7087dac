package gateway

import (
	"log/slog"
	"strings"
	"testing"

	"hasse/internal/halink"
	"hasse/internal/httpapi"
)

// TestSettingErrorsNameTheCallersSetting: a part that cannot be made from a field is reported
// under the caller's name for that field, or the field's own name when it gave none.
func TestSettingErrorsNameTheCallersSetting(t *testing.T) {
	base := Config{HA: halink.Config{URL: "http://127.0.0.1:1", Token: "x"}, HTTP: httpapi.Config{Auth: httpapi.AuthNone}}
	for _, tc := range []struct {
		name   string
		tune   func(*Config)
		prefix string
	}{
		{"bad address", func(c *Config) { c.Addr = "127.0.0.1:port" }, "Addr: "},
		{"bad address, named", func(c *Config) { c.Addr = "127.0.0.1:port"; c.Names = map[string]string{"Addr": "MCP_HTTP_ADDR"} }, "MCP_HTTP_ADDR: "},
		{"bad Home Assistant URL", func(c *Config) { c.HA.URL = "ftp://x" }, "HA.URL: "},
		{"missing geographic database", func(c *Config) { c.GeoIPDB = t.TempDir() + "/missing.mmdb" }, "GeoIPDB: "},
	} {
		cfg := base
		tc.tune(&cfg)
		g, err := New(cfg, slog.New(slog.DiscardHandler))
		if err == nil {
			g.listen.Close()
			t.Errorf("%s: New succeeded", tc.name)
			continue
		}
		if !strings.HasPrefix(err.Error(), tc.prefix) {
			t.Errorf("%s: %v, want an error beginning %q", tc.name, err, tc.prefix)
		}
	}
}
