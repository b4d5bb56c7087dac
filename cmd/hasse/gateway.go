package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"time"

	"golang.org/x/sync/errgroup"

	"hasse/internal/auth"
	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/httpapi"
	"hasse/internal/hub"
	"hasse/internal/limit"
)

// gateway is the gateway's parts, wired from settings: the hub, the Home Assistant client that
// feeds it and the HTTP server that drains it.
type gateway struct {
	hub    *hub.Hub
	ha     *hass.Client
	http   *httpapi.Server
	listen net.Listener
	tls    bool
}

// newGateway wires a gateway that reads Home Assistant at haURL with haToken. authn may be nil
// under auth none.
func newGateway(s settings, haURL, haToken string, authn httpapi.Authenticator, log *slog.Logger) (*gateway, error) {
	h, err := hub.New(hub.Config{
		MaxClients:        s.MaxClients,
		MaxClientsPerUser: s.MaxClientsPerUser,
		QueueBytes:        int(s.QueueBytes),
		KeepAlive:         s.PingInterval,
		WriteTimeout:      s.InactivityTimeout,
		ReplaySize:        cmp.Or(s.ReplaySize, -1), // 0 asks for no replay
	}, log.With("part", "hub"))
	if err != nil {
		return nil, err
	}
	ha, err := hass.New(hass.Config{URL: haURL, Token: haToken, Redact: s.RedactAttributes}, log.With("part", "ha"))
	if err != nil {
		return nil, fmt.Errorf("HA_URL: %w", err)
	}
	kind, err := format.ParseKind(s.Format)
	if err != nil {
		return nil, fmt.Errorf("MCP_SSE_FORMAT: %w", err)
	}
	var origins []string
	if s.AllowCORS {
		origins = s.AllowedOrigins
	}
	var ipLimit, userLimit limit.Config
	if s.RateLimitEnabled {
		window := time.Duration(s.RateLimitWindowMS) * time.Millisecond
		ipLimit = limit.Config{Requests: s.RateLimitMax, Window: window}
		userLimit = limit.Config{Requests: s.RateLimitPerUser, Window: window}
	}
	srv, err := httpapi.New(httpapi.Config{
		EventsPath:     s.EventsPath,
		DisableEvents:  !s.EventsEnabled,
		DefaultFormat:  kind,
		Auth:           s.Auth,
		Version:        versionLine(),
		CORSOrigins:    origins,
		IPLimit:        ipLimit,
		UserLimit:      userLimit,
		TrustedProxies: s.trustedProxies,
		TLSCert:        s.TLSCert,
		TLSKey:         s.TLSKey,
	}, h, authn, linkStatus(ha), log.With("part", "http"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("MCP_HTTP_ADDR: %w", err)
	}
	return &gateway{hub: h, ha: ha, http: srv, listen: ln, tls: s.TLSCert != ""}, nil
}

// run runs every part until ctx ends or one fails.
func (g *gateway) run(ctx context.Context) error {
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return g.hub.Run(ctx) })
	eg.Go(func() error { return g.ha.Run(ctx, g.hub) })
	eg.Go(func() error { return g.http.Serve(ctx, g.listen) })
	return eg.Wait()
}

// url is the gateway's base URL as a local client reaches it.
func (g *gateway) url() string {
	if g.tls {
		return "https://" + g.listen.Addr().String()
	}
	return "http://" + g.listen.Addr().String()
}

func linkStatus(ha *hass.Client) func() httpapi.LinkStatus {
	return func() httpapi.LinkStatus {
		st := ha.Status()
		ls := httpapi.LinkStatus{Connected: st.Connected, Version: st.HAVersion, LastEventAt: st.LastEventAt}
		switch {
		case st.Connected:
		case errors.Is(st.LastError, hass.ErrAuthInvalid):
			ls.Problem = "Home Assistant refused the access token (HA_TOKEN); retrying slowly"
		case st.LastError != nil:
			ls.Problem = "cannot reach Home Assistant; retrying"
		default:
			ls.Problem = "connecting to Home Assistant"
		}
		return ls
	}
}

// staticTokens loads the tokens file, if auth mode tokens asks for one.
func staticTokens(s settings) (httpapi.Authenticator, error) {
	if s.Auth != "tokens" || s.TokensFile == "" {
		return nil, nil
	}
	st, err := auth.LoadStatic(s.TokensFile)
	if err != nil {
		return nil, fmt.Errorf("MCP_SSE_TOKENS_FILE: %w", err)
	}
	return st, nil
}
