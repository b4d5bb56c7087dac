package main

import (
	"cmp"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"path/filepath"
	"reflect"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/caarlos0/env/v11"

	"hasse/internal/auth"
	"hasse/internal/cluster"
	"hasse/internal/format"
	"hasse/internal/gateway"
	"hasse/internal/geo"
	"hasse/internal/halink"
	"hasse/internal/hass"
	"hasse/internal/httpapi"
	"hasse/internal/hub"
	"hasse/internal/limit"
	"hasse/internal/stats"
	"hasse/internal/writer"
)

// settings is hasse's configuration: environment names (SPEC.md §1) and flags, flags winning.
// This file is the only one that knows their names.
type settings struct {
	HAURL             string        `env:"HA_URL"`
	HAToken           string        `env:"HA_TOKEN"`
	Addr              string        `env:"MCP_HTTP_ADDR"`
	Port              string        `env:"PORT"`
	EventsEnabled     bool          `env:"MCP_SSE_EVENTS_ENABLED" envDefault:"true"`
	EventsPath        string        `env:"MCP_SSE_EVENTS_PATH" envDefault:"/subscribe_events"`
	Format            string        `env:"MCP_SSE_FORMAT" envDefault:"envelope"`
	Auth              string        `env:"MCP_SSE_AUTH"`
	TokensFile        string        `env:"MCP_SSE_TOKENS_FILE"`
	AuthHACache       time.Duration `env:"MCP_SSE_AUTH_HA_CACHE" envDefault:"5m"`
	MaxClients        int           `env:"MCP_SSE_MAX_CLIENTS" envDefault:"100"`
	MaxClientsPerUser int           `env:"MCP_SSE_MAX_CLIENTS_PER_USER" envDefault:"10"`
	PingInterval      time.Duration `env:"MCP_SSE_PING_INTERVAL" envDefault:"30s"`
	InactivityTimeout time.Duration `env:"MCP_SSE_INACTIVITY_TIMEOUT" envDefault:"5m"`
	QueueBytes        byteSize      `env:"MCP_SSE_CLIENT_QUEUE_BYTES" envDefault:"1MiB"`
	ReplaySize        int           `env:"MCP_SSE_REPLAY_SIZE" envDefault:"10000"`
	ReplayBytes       byteSize      `env:"MCP_SSE_REPLAY_BYTES" envDefault:"4MiB"`
	RedactAttributes  []string      `env:"MCP_SSE_REDACT_ATTRIBUTES"` // changes to hass.DefaultRedact: name adds, -name removes
	RateLimitEnabled  bool          `env:"MCP_RATE_LIMIT_ENABLED" envDefault:"true"`
	RateLimitMax      int           `env:"MCP_RATE_LIMIT_MAX_REQUESTS" envDefault:"100"`
	RateLimitWindowMS int           `env:"MCP_RATE_LIMIT_WINDOW_MS" envDefault:"60000"`
	RateLimitPerUser  int           `env:"MCP_RATE_LIMIT_PER_USER" envDefault:"1000"`
	AllowCORS         bool          `env:"MCP_HTTP_ALLOW_CORS" envDefault:"true"`
	AllowedOrigins    []string      `env:"MCP_HTTP_ALLOWED_ORIGINS"` // default: * under auth tokens and ha, none under auth none
	AllowedHosts      []string      `env:"MCP_HTTP_ALLOWED_HOSTS"`
	TrustedProxies    []string      `env:"MCP_HTTP_TRUSTED_PROXIES"`
	TLSCert           string        `env:"MCP_HTTP_TLS_CERT"`
	TLSKey            string        `env:"MCP_HTTP_TLS_KEY"`
	StatsDB           string        `env:"MCP_SSE_STATS_DB"`
	Alerts            string        `env:"MCP_SSE_ALERTS"`
	GeoIPDB           string        `env:"MCP_SSE_GEOIP_DB"`
	RedisURL          string        `env:"MCP_REDIS_URL"`
	RedisInstance     string        `env:"MCP_REDIS_INSTANCE"`
	RedisPrefix       string        `env:"MCP_REDIS_PREFIX" envDefault:"hasse"`
	RedisLease        time.Duration `env:"MCP_REDIS_LEASE" envDefault:"10s"`
	LogLevel          string        `env:"MCP_LOG_LEVEL" envDefault:"info"`
	LogFormat         string        `env:"MCP_LOG_FORMAT" envDefault:"text"`

	format         format.Kind    // Format, parsed
	trustedProxies []netip.Prefix // TrustedProxies, parsed
	redact         []string       // the member names redacted: hass.DefaultRedact changed by RedactAttributes
	alertRules     []stats.Rule   // Alerts, parsed; nil: the default rules

	// Simulator settings, for demo and simulate.
	SimToken, SimUserToken        string
	SimSeed                       int64
	SimVersion                    string
	SimRate                       float64
	SimFailAuth                   bool
	SimDropEvery, SimRestartEvery time.Duration
	SimStartupTime                time.Duration
}

// ourPrefixes are the environment namespaces hasse owns: a name in them that hasse does not know
// is a typo, and stops start-up.
var ourPrefixes = []string{"MCP_SSE_", "MCP_HTTP_", "MCP_RATE_LIMIT_", "MCP_REDIS_", "MCP_LOG_"}

// loadSettings reads the environment, then the flags of command cmd from args. Any bad value
// is an error of one line naming the setting.
func loadSettings(cmd string, args []string, environ []string, stderr io.Writer) (settings, error) {
	envMap := make(map[string]string, len(environ))
	for _, kv := range environ {
		if k, v, ok := strings.Cut(kv, "="); ok {
			envMap[k] = v
		}
	}
	if err := checkUnknownEnv(envMap); err != nil {
		return settings{}, err
	}
	var s settings
	if err := env.ParseWithOptions(&s, env.Options{Environment: envMap}); err != nil {
		return settings{}, envError(err)
	}
	s.Auth = cmp.Or(s.Auth, map[string]string{"serve": "ha"}[cmd], "tokens")
	s.Addr = cmp.Or(s.Addr, portAddr(s.Port), "127.0.0.1:3000")
	s.SimRate = 2
	if s.StatsDB == "" && cmd == "serve" { // demo keeps its history in memory unless a file is named
		s.StatsDB = filepath.Join(stateDir(envMap), "hasse-stats.db")
	}

	fs := flag.NewFlagSet("hasse "+cmd, flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.StringVar(&s.Addr, "addr", s.Addr, "listen address (MCP_HTTP_ADDR, PORT)")
	fs.StringVar(&s.Format, "format", s.Format, "default wire format: envelope or named (MCP_SSE_FORMAT)")
	fs.StringVar(&s.Auth, "auth", s.Auth, "client auth: ha (clients' own Home Assistant tokens), tokens or none (MCP_SSE_AUTH)")
	fs.StringVar(&s.TokensFile, "tokens-file", s.TokensFile, "static tokens, YAML or JSON (MCP_SSE_TOKENS_FILE)")
	fs.StringVar(&s.EventsPath, "events-path", s.EventsPath, "SSE endpoint path (MCP_SSE_EVENTS_PATH)")
	fs.IntVar(&s.MaxClients, "max-clients", s.MaxClients, "concurrent SSE clients (MCP_SSE_MAX_CLIENTS)")
	fs.IntVar(&s.MaxClientsPerUser, "max-clients-per-user", s.MaxClientsPerUser, "concurrent SSE clients per user (MCP_SSE_MAX_CLIENTS_PER_USER)")
	fs.DurationVar(&s.PingInterval, "ping-interval", s.PingInterval, "keep-alive period (MCP_SSE_PING_INTERVAL)")
	fs.DurationVar(&s.InactivityTimeout, "inactivity-timeout", s.InactivityTimeout, "longest a client may stall a write (MCP_SSE_INACTIVITY_TIMEOUT)")
	fs.TextVar(&s.QueueBytes, "queue-bytes", s.QueueBytes, "per-client queue bound, e.g. 1MiB (MCP_SSE_CLIENT_QUEUE_BYTES)")
	fs.StringVar(&s.LogLevel, "log-level", s.LogLevel, "debug, info, warn or error (MCP_LOG_LEVEL)")
	fs.StringVar(&s.LogFormat, "log-format", s.LogFormat, "text or json (MCP_LOG_FORMAT)")
	switch cmd {
	case "serve":
		fs.StringVar(&s.HAURL, "ha-url", s.HAURL, "Home Assistant URL (HA_URL)")
		fs.StringVar(&s.HAToken, "ha-token", s.HAToken, "Home Assistant long-lived access token (HA_TOKEN)")
	case "demo", "simulate":
		fs.Int64Var(&s.SimSeed, "seed", s.SimSeed, "simulated home's random seed; 0 = random")
		fs.Float64Var(&s.SimRate, "rate", s.SimRate, "simulated activity steps per second")
		fs.StringVar(&s.SimVersion, "ha-version", s.SimVersion, "the Home Assistant version simulated, and its message shapes (2024.3.3: no labels, floors or last_reported; 2026.9.0: child devices)")
	}
	if cmd == "simulate" {
		s.Addr = "127.0.0.1:8123"
		fs.StringVar(&s.Addr, "listen", s.Addr, "simulator listen address")
		fs.StringVar(&s.SimToken, "token", s.SimToken, "the admin's access token; default: generated and printed")
		fs.StringVar(&s.SimUserToken, "user-token", s.SimUserToken, "a non-admin user's access token; default: generated and printed")
		fs.BoolVar(&s.SimFailAuth, "fail-auth", false, "refuse every token (auth_invalid)")
		fs.DurationVar(&s.SimDropEvery, "drop-every", 0, "drop every connection this often (0: never)")
		fs.DurationVar(&s.SimRestartEvery, "restart-every", 0, "restart the simulated Home Assistant this often, changing some states (0: never)")
		fs.DurationVar(&s.SimStartupTime, "startup-time", 0, "how long a restart's start takes, in stages with placeholder states, as a real Home Assistant starts (0: at once)")
	}
	if err := fs.Parse(args); err != nil {
		return settings{}, err
	}
	if fs.NArg() > 0 {
		return settings{}, fmt.Errorf("hasse %s: unexpected argument %q", cmd, fs.Arg(0))
	}
	return s, s.validate(cmd)
}

// validate checks what the parsers cannot.
func (s *settings) validate(cmd string) error {
	switch {
	case s.Format != "envelope" && s.Format != "named":
		return fmt.Errorf("MCP_SSE_FORMAT: %q is not a wire format; use envelope or named", s.Format)
	case s.Auth != "none" && s.Auth != "tokens" && s.Auth != "ha":
		return fmt.Errorf("MCP_SSE_AUTH: %q is not an auth mode; use ha, tokens or none", s.Auth)
	case s.Auth == "tokens" && s.TokensFile == "" && cmd == "serve":
		return errors.New("MCP_SSE_TOKENS_FILE: auth mode tokens needs a tokens file")
	case s.AuthHACache < time.Second:
		return errors.New("MCP_SSE_AUTH_HA_CACHE: must be at least 1s")
	case s.TokensFile != "" && s.Auth != "tokens" && cmd != "simulate":
		// Silently unused, the file would look like protection that is not there.
		return fmt.Errorf("MCP_SSE_TOKENS_FILE: read only under auth tokens, and auth is %s: set MCP_SSE_AUTH=tokens, or leave the file out", s.Auth)
	case s.MaxClients < 1:
		return errors.New("MCP_SSE_MAX_CLIENTS: must be at least 1")
	case s.MaxClientsPerUser < 1:
		return errors.New("MCP_SSE_MAX_CLIENTS_PER_USER: must be at least 1")
	case s.PingInterval < time.Second:
		return errors.New("MCP_SSE_PING_INTERVAL: must be at least 1s")
	case s.InactivityTimeout < time.Second:
		return errors.New("MCP_SSE_INACTIVITY_TIMEOUT: must be at least 1s")
	case s.QueueBytes < 4<<10:
		return errors.New("MCP_SSE_CLIENT_QUEUE_BYTES: must be at least 4KiB")
	case s.ReplaySize < 0:
		return errors.New("MCP_SSE_REPLAY_SIZE: must not be negative")
	case !slices.Contains([]string{"debug", "info", "warn", "error"}, s.LogLevel):
		return fmt.Errorf("MCP_LOG_LEVEL: %q is not a level; use debug, info, warn or error", s.LogLevel)
	case s.LogFormat != "text" && s.LogFormat != "json":
		return fmt.Errorf("MCP_LOG_FORMAT: %q is not a log format; use text or json", s.LogFormat)
	case (s.TLSCert == "") != (s.TLSKey == ""):
		return errors.New("MCP_HTTP_TLS_CERT, MCP_HTTP_TLS_KEY: give both, or neither")
	case s.RedisURL != "" && cmd != "serve":
		return errors.New("MCP_REDIS_URL: multi-instance mode is for hasse serve (each demo has a simulated home of its own)")
	case s.RedisURL != "" && !strings.HasPrefix(s.RedisURL, "redis://") && !strings.HasPrefix(s.RedisURL, "rediss://"):
		return errors.New("MCP_REDIS_URL: use redis://[user:password@]host:port[/db], or rediss://… for TLS")
	case s.RedisInstance != "" && !hub.ValidID(s.RedisInstance):
		return fmt.Errorf("MCP_REDIS_INSTANCE: %q: 1 to 64 of A-Z a-z 0-9 . _ -", s.RedisInstance)
	case s.RedisPrefix == "" || strings.ContainsAny(s.RedisPrefix, " \t\n*?[]"):
		return errors.New("MCP_REDIS_PREFIX: a key prefix without spaces or glob characters, like hasse")
	case s.RedisLease < time.Second:
		return errors.New("MCP_REDIS_LEASE: must be at least 1s")
	case cmd == "serve" && s.HAURL == "":
		return errors.New("HA_URL: required: the address of Home Assistant, e.g. http://homeassistant.local:8123")
	case cmd == "serve" && s.HAToken == "":
		return errors.New("HA_TOKEN: required: a long-lived access token (Home Assistant → Profile → Security)")
	case s.SimRate < 0 || s.SimRate > 10000:
		return errors.New("-rate: must be between 0 and 10000 steps per second")
	case s.RateLimitEnabled && (s.RateLimitMax < 1 || s.RateLimitPerUser < 1):
		return errors.New("MCP_RATE_LIMIT_MAX_REQUESTS, MCP_RATE_LIMIT_PER_USER: must be at least 1 (or MCP_RATE_LIMIT_ENABLED=false)")
	case s.RateLimitEnabled && s.RateLimitWindowMS < 1:
		return errors.New("MCP_RATE_LIMIT_WINDOW_MS: must be at least 1")
	}
	if s.GeoIPDB != "" { // checked here, so that a wrong file stops start-up as a bad setting does
		db, err := geo.Open(s.GeoIPDB)
		if err != nil {
			return fmt.Errorf("MCP_SSE_GEOIP_DB: %w", err)
		}
		db.Close()
	}
	if err := httpapi.CheckEventsPath(s.EventsPath); s.EventsEnabled && err != nil {
		return fmt.Errorf("MCP_SSE_EVENTS_PATH: %w", err)
	}
	if err := httpapi.CheckOrigins(trimAll(s.AllowedOrigins)); err != nil {
		return fmt.Errorf("MCP_HTTP_ALLOWED_ORIGINS: %w", err)
	}
	var err error
	if s.format, err = format.ParseKind(s.Format); err != nil {
		return fmt.Errorf("MCP_SSE_FORMAT: %w", err)
	}
	if s.redact, err = hass.Redactions(s.RedactAttributes); err != nil {
		return fmt.Errorf("MCP_SSE_REDACT_ATTRIBUTES: %w", err)
	}
	if s.Alerts != "" { // "": the default rules
		if s.alertRules, err = stats.ParseRules(s.Alerts); err != nil {
			return fmt.Errorf("MCP_SSE_ALERTS: %w", err)
		}
	}
	for _, cidr := range s.TrustedProxies {
		p, err := netip.ParsePrefix(strings.TrimSpace(cidr))
		if err != nil {
			addr, aerr := netip.ParseAddr(strings.TrimSpace(cidr))
			if aerr != nil {
				return fmt.Errorf("MCP_HTTP_TRUSTED_PROXIES: %q is not a CIDR (10.0.0.0/8) or an address", cidr)
			}
			p = netip.PrefixFrom(addr, addr.BitLen())
		}
		s.trustedProxies = append(s.trustedProxies, p.Masked())
	}
	return nil
}

// gateway is the gateway's configuration: Home Assistant at haURL read with haToken, and
// clients' tokens told by authn (nil: none under auth none, Home Assistant's own under auth ha).
func (s *settings) gateway(haURL, haToken string, authn httpapi.Authenticator) gateway.Config {
	var origins []string
	switch {
	case !s.AllowCORS:
	case len(s.AllowedOrigins) > 0:
		origins = trimAll(s.AllowedOrigins)
	case s.Auth != "none": // a page of any origin needs a token to read or do anything
		origins = []string{"*"}
	}
	var ipLimit, userLimit limit.Config
	if s.RateLimitEnabled {
		window := time.Duration(s.RateLimitWindowMS) * time.Millisecond
		ipLimit = limit.Config{Requests: s.RateLimitMax, Window: window}
		userLimit = limit.Config{Requests: s.RateLimitPerUser, Window: window}
	}
	cfg := gateway.Config{
		Addr: s.Addr,
		HA:   halink.Config{URL: haURL, Token: haToken, Redact: s.redact},
		Hub: hub.Config{
			MaxClients:        s.MaxClients,
			MaxClientsPerUser: s.MaxClientsPerUser,
			QueueBytes:        int(s.QueueBytes),
			ReplaySize:        cmp.Or(s.ReplaySize, -1),       // 0 asks for no replay
			ReplayBytes:       cmp.Or(int(s.ReplayBytes), -1), // 0 asks for no bound
		},
		Stats: stats.Config{MaxClients: s.MaxClients, Rules: s.alertRules},
		HTTP: httpapi.Config{
			EventsPath:     s.EventsPath,
			DisableEvents:  !s.EventsEnabled,
			DefaultFormat:  s.format,
			Auth:           s.Auth,
			Version:        versionLine(),
			CORSOrigins:    origins,
			AllowedHosts:   trimAll(s.AllowedHosts),
			IPLimit:        ipLimit,
			UserLimit:      userLimit,
			TrustedProxies: s.trustedProxies,
			TLSCert:        s.TLSCert,
			TLSKey:         s.TLSKey,
			Writer:         writer.Config{KeepAlive: s.PingInterval, WriteTimeout: s.InactivityTimeout},
			// An accepted token's streams are checked again once its answer has run out.
			RevalidateEvery: min(30*time.Second, s.AuthHACache),
		},
		Authn:   authn,
		AuthHA:  auth.HAConfig{ValidFor: s.AuthHACache},
		StatsDB: s.StatsDB,
		GeoIPDB: s.GeoIPDB,
		Names: map[string]string{"Addr": "MCP_HTTP_ADDR", "HA.URL": "HA_URL", "Stats": "MCP_SSE_ALERTS", "StatsDB": "MCP_SSE_STATS_DB",
			"GeoIPDB": "MCP_SSE_GEOIP_DB", "Cluster": "MCP_REDIS_URL"},
	}
	if s.RedisURL != "" {
		cfg.Cluster = &cluster.Config{URL: s.RedisURL, Instance: s.RedisInstance, Prefix: s.RedisPrefix, Lease: s.RedisLease, MaxLen: s.ReplaySize}
	}
	return cfg
}

// trimAll returns the items of a comma list setting, trimmed, without empty ones.
func trimAll(items []string) []string {
	var out []string
	for _, it := range items {
		if it = strings.TrimSpace(it); it != "" {
			out = append(out, it)
		}
	}
	return out
}

func (s *settings) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	_ = level.UnmarshalText([]byte(s.LogLevel))
	opts := &slog.HandlerOptions{Level: level}
	if s.LogFormat == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}

// stateDir is where hasse keeps its files: $XDG_STATE_HOME/hasse, else ~/.local/state/hasse, else
// a hasse-state folder in the working directory.
func stateDir(envMap map[string]string) string {
	if d := envMap["XDG_STATE_HOME"]; filepath.IsAbs(d) {
		return filepath.Join(d, "hasse")
	}
	if home := envMap["HOME"]; filepath.IsAbs(home) {
		return filepath.Join(home, ".local", "state", "hasse")
	}
	return "hasse-state"
}

func portAddr(port string) string {
	if port == "" {
		return ""
	}
	return "127.0.0.1:" + port
}

// checkUnknownEnv refuses names in hasse's namespaces that no setting has.
func checkUnknownEnv(envMap map[string]string) error {
	known := make(map[string]bool)
	t := reflect.TypeFor[settings]()
	for i := range t.NumField() {
		if name := t.Field(i).Tag.Get("env"); name != "" {
			known[name] = true
		}
	}
	var unknown []string
	for k := range envMap {
		if !known[k] && slices.ContainsFunc(ourPrefixes, func(p string) bool { return strings.HasPrefix(k, p) }) {
			unknown = append(unknown, k)
		}
	}
	if len(unknown) > 0 {
		slices.Sort(unknown)
		return fmt.Errorf("%s: unknown setting (see the configuration table in README.md)", unknown[0])
	}
	return nil
}

// envError turns the env library's error into one line naming the variable.
func envError(err error) error {
	var agg env.AggregateError
	if errors.As(err, &agg) && len(agg.Errors) > 0 {
		err = agg.Errors[0]
	}
	var pe env.ParseError
	if errors.As(err, &pe) {
		if f, ok := reflect.TypeFor[settings]().FieldByName(pe.Name); ok {
			return fmt.Errorf("%s: %v", f.Tag.Get("env"), pe.Err)
		}
	}
	return err
}

// byteSize is a size in bytes written as 1048576, 512KiB, 1MiB, 2MB, ….
type byteSize int

func (b byteSize) MarshalText() ([]byte, error) {
	switch {
	case b > 0 && b%(1<<20) == 0:
		return []byte(strconv.Itoa(int(b>>20)) + "MiB"), nil
	case b > 0 && b%(1<<10) == 0:
		return []byte(strconv.Itoa(int(b>>10)) + "KiB"), nil
	}
	return []byte(strconv.Itoa(int(b))), nil
}

func (b *byteSize) UnmarshalText(text []byte) error {
	s := strings.TrimSpace(string(text))
	units := []struct {
		suffix string
		factor int
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}, {"KB", 1000}, {"MB", 1000_000}, {"GB", 1000_000_000}, {"B", 1}}
	factor := 1
	for _, u := range units {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, factor = strings.TrimSpace(rest), u.factor
			break
		}
	}
	n, err := strconv.Atoi(s)
	if err != nil || n < 0 || n > (1<<40)/factor {
		return fmt.Errorf("%q is not a size like 1048576, 512KiB or 1MiB", string(text))
	}
	*b = byteSize(n * factor)
	return nil
}
