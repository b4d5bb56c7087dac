package halink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"sync/atomic"
	"time"

	"hasse/internal/hass"
	"hasse/internal/hass/jsonscan"
)

// Config tunes a Client. Zero fields take the defaults shown.
type Config struct {
	// URL is Home Assistant's address: http://host:8123, https://…, or the WebSocket API's own
	// ws(s)://…/api/websocket. Required.
	URL string
	// Token is the long-lived access token hasse authenticates with. Required; never logged.
	Token string
	// Redact lists the attribute names removed from events and states (SPEC.md §5.3); see
	// [hass.NewSanitizer]. cmd/hasse passes MCP_SSE_REDACT_ATTRIBUTES. Token query values in URLs
	// are redacted even when it is empty.
	Redact []string
	// ReadLimit is the largest frame read from Home Assistant, in bytes; default 64 MiB
	// (get_states on a big home is several MiB in one frame).
	ReadLimit int64
	// ReconnectMin and ReconnectMax bound the exponential backoff between connection attempts:
	// the n-th attempt in a row waits a random time up to min(ReconnectMax, ReconnectMin·2ⁿ)
	// (full jitter), so that many gateways do not reconnect in step; defaults 500ms and 30s.
	ReconnectMin, ReconnectMax time.Duration
	// AuthRetryDelay is the wait before trying again after Home Assistant refused the token
	// (or, for a non-admin's token, the subscription to every event) or banned hasse's address;
	// it doubles with each refusal in a row, up to AuthRetryMax (a banned address, whose tries
	// Home Assistant does not count, is tried at least every 5 minutes). Defaults 1m and 1h.
	AuthRetryDelay, AuthRetryMax time.Duration
	// TokenTries is the most logins in a row with a token Home Assistant refuses: after that
	// many refusals the client stops trying until it is restarted. Each refused login is a
	// failed login that Home Assistant counts against hasse's address and clears only when a
	// login from that address succeeds, which a refused token's never does; with
	// login_attempts_threshold set, HA bans the address at the threshold. Default 2, which keeps
	// under the smallest threshold worth setting (3).
	TokenTries int
	// HandshakeTimeout bounds connecting and authenticating, and is the longest Home Assistant
	// may stay silent while hasse sets a connection up (supported_features, the registries,
	// subscribe_events, get_config, get_states): a big reply that keeps arriving is never cut
	// off, however long it takes. Default 10s.
	HandshakeTimeout time.Duration
	// PingInterval is the period of the client's ping commands; default 20s.
	PingInterval time.Duration
	// PongTimeout is how long a ping (or a write) may wait, with nothing read meanwhile, before
	// the connection counts as dead and is replaced; default 10s.
	PongTimeout time.Duration
}

// LogValue keeps the token out of logs.
func (c Config) LogValue() slog.Value {
	return slog.GroupValue(slog.String("url", c.URL), slog.Int64("read_limit", c.ReadLimit),
		slog.Duration("reconnect_min", c.ReconnectMin), slog.Duration("reconnect_max", c.ReconnectMax), slog.Duration("ping_interval", c.PingInterval))
}

// Client holds hasse's one connection to Home Assistant's WebSocket API: it connects,
// authenticates, subscribes to every event, and reconnects whenever the connection is lost.
// Its methods are safe for concurrent use.
type Client struct {
	// Set by New, read-only after.
	cfg  Config
	url  string // of the WebSocket API
	log  *slog.Logger
	san  *hass.Sanitizer
	http *http.Client

	// Written by Run's goroutine and its sessions, read by them and by callers; each guards
	// itself.
	live       atomic.Pointer[session] // the connection commands go to; nil while there is none
	announced  atomic.Bool             // the sink was told of the current connection
	link       link                    // what Status reports (status.go)
	registries registries              // the registries in use, or why there are none (registry.go)
	refused    *refusals               // refused connections HA has not yet closed (refusal.go)
}

// New returns a Client for cfg, or an error naming the setting that is wrong. It starts
// nothing: [Client.Run] connects.
func New(cfg Config, log *slog.Logger) (*Client, error) {
	u, err := websocketURL(cfg.URL)
	if err != nil {
		return nil, fmt.Errorf("home assistant: %w", err)
	}
	if cfg.Token == "" {
		return nil, errors.New("home assistant: token is required")
	}
	for _, d := range []struct {
		v   *time.Duration
		def time.Duration
	}{
		{&cfg.ReconnectMin, 500 * time.Millisecond},
		{&cfg.ReconnectMax, 30 * time.Second},
		{&cfg.AuthRetryDelay, time.Minute},
		{&cfg.AuthRetryMax, time.Hour},
		{&cfg.HandshakeTimeout, 10 * time.Second},
		{&cfg.PingInterval, 20 * time.Second},
		{&cfg.PongTimeout, 10 * time.Second},
	} {
		if *d.v < 0 {
			return nil, fmt.Errorf("home assistant: negative duration %v", *d.v)
		}
		if *d.v == 0 {
			*d.v = d.def
		}
	}
	if cfg.TokenTries == 0 {
		cfg.TokenTries = 2
	}
	if cfg.ReadLimit == 0 {
		cfg.ReadLimit = 64 << 20
	}
	if cfg.ReadLimit < 1<<10 {
		return nil, fmt.Errorf("home assistant: read limit %d bytes is too small", cfg.ReadLimit)
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Client{cfg: cfg, url: u, log: log, san: hass.NewSanitizer(cfg.Redact), http: &http.Client{},
		refused: newRefusals()}, nil
}

// Run connects to Home Assistant and keeps a connection until ctx ends, handing sink, from its
// read loop, every event (normalised and sanitised), every entity's state after each connect,
// and the end of each connection. The sink must not block for long (while it runs nothing is
// read from Home Assistant) and must return once ctx has ended. A lost connection is replaced
// after an exponential backoff with full jitter (ReconnectMin to ReconnectMax). A refusal, a
// configuration error (the token refused, or hasse's address banned), is retried after
// AuthRetryDelay, doubled with each refusal in a row up to AuthRetryMax, until a connection is
// up; a refused token is tried TokenTries times in a row at most, and then no more. A run of
// failures is logged once, then at debug level. Run returns nil once ctx has ended and its
// goroutines have exited; it may not run twice at once.
func (c *Client) Run(ctx context.Context, sink Sink) error {
	var logged string // the failure logged last, until a connection succeeds
	attempt := 0      // failed attempts since the last connection that was up
	refusals := 0     // refusals since the last connection that was up
	tokenRefusals := 0
	for {
		up, err := c.connect(ctx, sink)
		if c.announced.Swap(false) {
			sink.Disconnected()
		}
		if ctx.Err() != nil {
			c.link.down(nil, time.Time{})
			return nil
		}
		if up {
			logged, attempt, refusals, tokenRefusals = "", 0, 0, 0
		}
		delay, level, msg := c.backoff(attempt), slog.LevelWarn, "home assistant connection lost"
		attempt++
		if !up {
			msg = "cannot connect to home assistant"
		}
		switch ce := (*CommandError)(nil); {
		case errors.Is(err, ErrBanned): // HA's ban middleware refuses before any login: the tries are not counted
			refusals++
			delay, level, msg = min(c.refusalDelay(refusals), 5*time.Minute), slog.LevelError,
				"home assistant refuses hasse's address (HTTP 403): it was banned after failed logins; remove it from ip_bans.yaml "+
					"in Home Assistant's configuration folder and restart Home Assistant; hasse retries less and less often"
		case errors.As(err, &ce): // logged in, but the token may not subscribe to every event (session.setup)
			refusals++
			delay, level, msg = c.refusalDelay(refusals), slog.LevelError,
				"home assistant refused hasse's access token (HA_TOKEN) the subscription to every event; it must be an admin's "+
					"long-lived access token; hasse retries less and less often"
		case errors.Is(err, ErrAuthInvalid):
			refusals++
			if tokenRefusals++; tokenRefusals >= c.cfg.TokenTries {
				c.giveUp(ctx, err)
				return nil
			}
			delay, level, msg = c.refusalDelay(refusals), slog.LevelError,
				"home assistant refused hasse's access token (HA_TOKEN); it must be an admin's long-lived access token; "+
					"hasse tries once more, then stops: each try is one more failed login"
		}
		if msg == logged {
			level = slog.LevelDebug
		}
		logged = msg
		c.link.down(err, time.Now().Add(delay))
		c.log.LogAttrs(ctx, level, msg, slog.String("url", c.url), slog.Any("err", err), slog.Duration("retry_in", delay))
		t := time.NewTimer(delay)
		select {
		case <-t.C:
		case <-ctx.Done():
			t.Stop()
			c.link.down(nil, time.Time{})
			return nil
		}
	}
}

// giveUp ends Run's tries after Home Assistant refused hasse's token TokenTries times in a row:
// any further try would be one more failed login HA counts against hasse's address. The link
// stays down, with err, until ctx ends.
func (c *Client) giveUp(ctx context.Context, err error) {
	c.link.down(err, time.Time{})
	c.log.LogAttrs(ctx, slog.LevelError, "home assistant refused hasse's access token (HA_TOKEN) again; hasse stops trying, "+
		"as each try is a failed login that Home Assistant counts towards banning hasse's address: "+
		"create an admin's long-lived access token, set HA_TOKEN to it and restart hasse",
		slog.String("url", c.url), slog.Any("err", err), slog.Int("tries", c.cfg.TokenTries))
	<-ctx.Done()
	c.link.down(nil, time.Time{})
}

// backoff returns a random wait of up to min(ReconnectMax, ReconnectMin·2^attempt).
func (c *Client) backoff(attempt int) time.Duration {
	ceiling := c.cfg.ReconnectMax
	if step := c.cfg.ReconnectMin << min(attempt, 32); attempt < 32 && step > 0 { // no overflow
		ceiling = min(ceiling, step)
	}
	return rand.N(ceiling + 1)
}

// refusalDelay is the wait after the n-th refusal in a row: AuthRetryDelay·2ⁿ⁻¹, at most
// AuthRetryMax.
func (c *Client) refusalDelay(n int) time.Duration {
	d := c.cfg.AuthRetryDelay
	for ; n > 1 && d < c.cfg.AuthRetryMax; n-- {
		d *= 2
	}
	return min(d, c.cfg.AuthRetryMax)
}

// GetStates returns the current state of every entity (get_states), each a compact JSON object
// sanitised as events are. It needs a live connection: without one it fails with
// [ErrNotConnected].
func (c *Client) GetStates(ctx context.Context) ([]json.RawMessage, error) {
	res, err := c.call(ctx, "get_states")
	if err != nil {
		return nil, err
	}
	if len(res) == 0 || res[0] != '[' {
		return nil, fmt.Errorf("get_states: result is not a list")
	}
	var states []json.RawMessage
	for m := jsonscan.Walk(res); ; {
		_, st, ok := m.Next()
		if !ok {
			return states, nil
		}
		st, _ = c.san.State(st)
		states = append(states, st)
	}
}

// call sends the command {"type":typ} on the live connection and returns its result.
func (c *Client) call(ctx context.Context, typ string) ([]byte, error) {
	s := c.live.Load()
	if s == nil {
		return nil, ErrNotConnected
	}
	return s.command(ctx, request{typ: typ, body: []byte(`{"type":"` + typ + `"}`)})
}
