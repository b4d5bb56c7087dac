package httpapi

import (
	"cmp"
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"net/http"
	"net/netip"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"hasse/internal/auth"
	"hasse/internal/filter"
	"hasse/internal/format"
	"hasse/internal/hub"
	"hasse/internal/limit"
	"hasse/internal/stats"
	"hasse/internal/writer"
)

// Auth modes (SPEC.md §5.1).
const (
	AuthNone   = "none"
	AuthTokens = "tokens"
	AuthHA     = "ha"
)

// Config tunes a Server. Zero fields take the defaults shown.
type Config struct {
	EventsPath        string         // path of the SSE endpoint; default "/subscribe_events"
	DisableEvents     bool           // serve no SSE endpoint at all
	DefaultFormat     format.Kind    // wire format when a request names none
	Auth              string         // AuthNone or AuthTokens; required
	Version           string         // reported by /health
	MaxBodyBytes      int64          // largest POST body; default 64 KiB
	RetryHint         time.Duration  // the retry: hint sent first on every stream, ±20 %; default 3s
	ReadHeaderTimeout time.Duration  // default 10s
	BodyTimeout       time.Duration  // longest a request body may take to arrive after its head; default 10s
	ResponseTimeout   time.Duration  // longest an answer other than a stream may take to be written; default 30s
	IdleTimeout       time.Duration  // default 120s
	MaxHeaderBytes    int            // default 16 KiB
	ShutdownGrace     time.Duration  // longest a shutdown waits for open requests; default 5s
	MCPConcurrency    int            // MCP requests answered at once, the others waiting in line; default 4
	MCPAnswerBytes    int64          // what the answers of one MCP request may hold, in bytes; default 1 MiB
	RevalidateEvery   time.Duration  // how often open streams' expired tokens are checked again; default 30s
	CORSOrigins       []string       // origins browsers may call from ("*" = any), as https://host[:port]; nil: no CORS headers
	AllowedHosts      []string       // under AuthNone, names the Host header may carry besides addresses and localhost
	IPLimit           limit.Config   // requests per window per client IP; zero Requests: no limit
	UserLimit         limit.Config   // requests per window per user or token; zero Requests: no limit
	TrustedProxies    []netip.Prefix // peers whose X-Forwarded-For is believed
	TLSCert, TLSKey   string         // PEM files; when set, HTTPS with HTTP/2 (SPEC.md §5.4)
	Writer            writer.Config  // how streams are written: keep-alives, write timeouts; its HeadTimeout defaults to ReadHeaderTimeout

	// The statistics tool (SPEC.md §6).
	Stats   *stats.Collector    // its source; nil: no statistics routes and no WebSocket API
	Metrics prometheus.Gatherer // served at /metrics; nil: no /metrics
	Cluster Cluster             // multi-instance mode (SPEC.md §7), for /health and ?scope=cluster; nil: none
}

// LinkStatus is the state of the event source, for /health and /ready.
type LinkStatus struct {
	Connected   bool
	Starting    bool      // connected to a Home Assistant that is still starting: its states are read once it has started
	Version     string    // Home Assistant's version, once known
	LastEventAt time.Time // zero before the first event
	Problem     string    // why the link is down, in plain words; empty when it is up
	Code        string    // why the link is down, in one word: connecting, unreachable, token_refused, banned; empty when it is up
	RetryAt     time.Time // when the next attempt to connect is due; zero when none is waited for
	Registry    string    // why area and label filters cannot work; empty when they can
}

// Authenticator tells who a token belongs to; [auth.Static] and [auth.HA] are two. It fails with
// auth.ErrUnauthorized for a bad token and auth.ErrUnavailable when it cannot tell.
type Authenticator interface {
	Authenticate(ctx context.Context, tok auth.Token) (auth.User, error)
}

// Server serves hasse's HTTP API. Create it with [New]; [Server.Serve] runs it.
type Server struct {
	cfg   Config
	hub   *hub.Hub
	authn Authenticator
	link  func() LinkStatus
	log   *slog.Logger

	ipLimit, userLimit *limit.Limiter // nil: no limit
	streams            *openedByToken // open streams' and statistics sockets' tokens, when tokens expire (auth.HA); else nil
	rateLimited        atomic.Int64   // requests refused as over a rate limit
	writer             *writer.Writer // writes the streams: a pool the plain HTTP/1.1 ones while Serve runs, handlers the others
	mcpSlots           slots          // MCP requests being answered
	filters            filter.Shared  // one parsed filter for all the streams that ask the same
	handler            http.Handler   // every route, made by New
}

// New returns a Server for h. authn is required under AuthTokens and ignored under AuthNone;
// link reports the event source's state.
func New(cfg Config, h *hub.Hub, authn Authenticator, link func() LinkStatus, log *slog.Logger) (*Server, error) {
	cfg.EventsPath = cmp.Or(cfg.EventsPath, "/subscribe_events")
	cfg.MaxBodyBytes = cmp.Or(cfg.MaxBodyBytes, 64<<10)
	cfg.RetryHint = cmp.Or(cfg.RetryHint, 3*time.Second)
	cfg.ReadHeaderTimeout = cmp.Or(cfg.ReadHeaderTimeout, 10*time.Second)
	cfg.BodyTimeout = cmp.Or(cfg.BodyTimeout, 10*time.Second)
	cfg.ResponseTimeout = cmp.Or(cfg.ResponseTimeout, 30*time.Second)
	cfg.IdleTimeout = cmp.Or(cfg.IdleTimeout, 120*time.Second)
	cfg.MaxHeaderBytes = cmp.Or(cfg.MaxHeaderBytes, 16<<10)
	cfg.ShutdownGrace = cmp.Or(cfg.ShutdownGrace, 5*time.Second)
	cfg.RevalidateEvery = cmp.Or(cfg.RevalidateEvery, 30*time.Second)
	cfg.MCPConcurrency = cmp.Or(cfg.MCPConcurrency, 4)
	switch {
	case !cfg.DisableEvents && CheckEventsPath(cfg.EventsPath) != nil:
		return nil, CheckEventsPath(cfg.EventsPath)
	case cfg.Auth != AuthNone && authn == nil:
		return nil, fmt.Errorf("auth mode %s needs an authenticator", cfg.Auth)
	case cfg.Auth != AuthNone && cfg.Auth != AuthTokens && cfg.Auth != AuthHA:
		return nil, fmt.Errorf("auth mode %q is not served", cfg.Auth)
	}
	if err := CheckOrigins(cfg.CORSOrigins); err != nil {
		return nil, err
	}
	for i, h := range cfg.AllowedHosts {
		cfg.AllowedHosts[i] = strings.TrimSuffix(strings.ToLower(strings.TrimSpace(h)), ".")
	}
	if (cfg.TLSCert == "") != (cfg.TLSKey == "") {
		return nil, errors.New("TLS needs both a certificate and its key")
	}
	if cfg.TLSCert != "" {
		if _, err := tls.LoadX509KeyPair(cfg.TLSCert, cfg.TLSKey); err != nil {
			return nil, fmt.Errorf("TLS certificate: %w", err)
		}
	}
	for _, l := range []limit.Config{cfg.IPLimit, cfg.UserLimit} {
		if l.Requests < 0 || l.Requests > 0 && l.Window <= 0 {
			return nil, fmt.Errorf("rate limit of %d requests per %v: need a positive count and window", l.Requests, l.Window)
		}
	}
	cfg.Writer.HeadTimeout = cmp.Or(cfg.Writer.HeadTimeout, cfg.ReadHeaderTimeout)
	if cfg.Writer.Log == nil {
		cfg.Writer.Log = log
	}
	w, err := writer.New(cfg.Writer)
	if err != nil {
		return nil, err
	}
	s := &Server{cfg: cfg, hub: h, authn: authn, link: link, log: log, writer: w, mcpSlots: make(slots, max(cfg.MCPConcurrency, 1))}
	if _, ok := authn.(expirer); ok && cfg.Auth != AuthNone {
		s.streams = &openedByToken{byKey: make(map[string]opened)}
	}
	if cfg.IPLimit.Requests > 0 {
		s.ipLimit = limit.New(cfg.IPLimit)
	}
	if cfg.UserLimit.Requests > 0 {
		s.userLimit = limit.New(cfg.UserLimit)
	}
	if s.handler, err = s.routes(); err != nil {
		return nil, err
	}
	return s, nil
}

// RateLimited returns how many requests were refused as over a rate limit.
func (s *Server) RateLimited() int64 { return s.rateLimited.Load() }

// httpServer is the net/http server Serve runs, its requests' contexts derived from ctx.
//
// Its WriteTimeout (Config.ResponseTimeout) bounds every answer from the moment its request's
// head is read, so that a client that asks and never reads cannot hold a handler and its
// answer (a history or an MCP answer may be megabytes) for as long as its connection lives.
// Streams set a deadline of their own before each write, and net/http lifts it from a
// connection it hands over (the statistics WebSocket, a pooled stream).
func (s *Server) httpServer(ctx context.Context, connState func(net.Conn, http.ConnState)) *http.Server {
	return &http.Server{
		Handler:           s.Handler(),
		ReadHeaderTimeout: s.cfg.ReadHeaderTimeout,
		WriteTimeout:      s.cfg.ResponseTimeout,
		IdleTimeout:       s.cfg.IdleTimeout,
		MaxHeaderBytes:    s.cfg.MaxHeaderBytes,
		ErrorLog:          slog.NewLogLogger(s.log.Handler(), slog.LevelDebug),
		ConnState:         connState,
		BaseContext: func(net.Listener) context.Context {
			return context.WithValue(context.WithoutCancel(ctx), stoppingKey{}, ctx)
		},
	}
}

// Serve serves on ln until ctx ends, then stops: it stops accepting, closes the connections that
// have not finished a request's head, ends the requests whose body is still coming and those
// waiting for an MCP slot (503), waits up to Config.ShutdownGrace for the other open requests
// (streams end when the hub stops), closes what is left, and returns nil. While it runs, plain
// HTTP/1.1 streams are written by a few pooled goroutines (package writer) rather than by their
// handlers.
func (s *Server) Serve(ctx context.Context, ln net.Listener) error {
	heads := &newConns{conns: make(map[net.Conn]struct{})}
	srv := s.httpServer(ctx, heads.track)
	if s.streams != nil {
		var revalidating sync.WaitGroup
		rctx, stop := context.WithCancel(ctx)
		revalidating.Go(func() { s.revalidate(rctx) })
		defer func() { stop(); revalidating.Wait() }()
	}
	pool, pooled := s.writer.Start(ctx) // after ctx ends, it waits for the hub's goodbyes
	defer pooled()
	if pool != nil {
		s.poolStarted(pool)
	}
	errc := make(chan error, 1)
	go func() {
		if s.cfg.TLSCert != "" {
			errc <- srv.ServeTLS(ln, s.cfg.TLSCert, s.cfg.TLSKey) // HTTP/2 by ALPN, as net/http does by default
			return
		}
		errc <- srv.Serve(ln)
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve http: %w", err)
	case <-ctx.Done():
	}
	heads.closeAll()
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), s.cfg.ShutdownGrace)
	defer cancel()
	err := srv.Shutdown(sctx)
	if errors.Is(err, context.DeadlineExceeded) {
		err = srv.Close()
	}
	if serr := <-errc; !errors.Is(serr, http.ErrServerClosed) {
		return fmt.Errorf("serve http: %w", serr)
	}
	return err
}
