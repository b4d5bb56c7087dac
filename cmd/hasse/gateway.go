package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"golang.org/x/sync/errgroup"

	"hasse/internal/auth"
	"hasse/internal/cluster"
	"hasse/internal/format"
	"hasse/internal/geo"
	"hasse/internal/halink"
	"hasse/internal/httpapi"
	"hasse/internal/hub"
	"hasse/internal/limit"
	"hasse/internal/stats"
	"hasse/internal/store"
)

// gateway is the gateway's parts, wired from settings: the hub, the Home Assistant client that
// feeds it and the HTTP server that drains it.
type gateway struct {
	hub    *hub.Hub
	stats  *stats.Collector
	db     *store.DB // the statistics history; nil: in memory only
	geo    *geo.DB   // countries and cities of clients; nil: none
	ha     *halink.Client
	node   *cluster.Node // multi-instance mode (MCP_REDIS_URL); nil otherwise
	http   *httpapi.Server
	listen net.Listener
	tls    bool
}

// newGateway wires a gateway that reads Home Assistant at haURL with haToken. authn may be nil
// under auth none.
func newGateway(s settings, haURL, haToken string, authn httpapi.Authenticator, log *slog.Logger) (g *gateway, err error) {
	meter := new(stats.Meter)
	hcfg := hub.Config{
		Meter:             meter,
		MaxClients:        s.MaxClients,
		MaxClientsPerUser: s.MaxClientsPerUser,
		QueueBytes:        int(s.QueueBytes),
		KeepAlive:         s.PingInterval,
		WriteTimeout:      s.InactivityTimeout,
		ReplaySize:        cmp.Or(s.ReplaySize, -1),       // 0 asks for no replay
		ReplayBytes:       cmp.Or(int(s.ReplayBytes), -1), // 0 asks for no bound
	}
	node, err := newNode(s, log)
	if err != nil {
		return nil, err
	}
	if node != nil && s.ReplaySize > 0 {
		hcfg.History = node // resumes older than the ring are read from the stream
	}
	h, err := hub.New(hcfg, log.With("part", "hub"))
	if err != nil {
		return nil, err
	}
	ha, err := halink.New(halink.Config{URL: haURL, Token: haToken, Redact: s.redact}, log.With("part", "ha"))
	if err != nil {
		return nil, fmt.Errorf("HA_URL: %w", err)
	}
	if s.Auth == "ha" && authn == nil {
		authn = auth.NewHA(auth.HAConfig{ValidFor: s.AuthHACache}, ha, log.With("part", "auth")) // clients' own tokens, asked of Home Assistant
	}
	kind, err := format.ParseKind(s.Format)
	if err != nil {
		return nil, fmt.Errorf("MCP_SSE_FORMAT: %w", err)
	}
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
	scfg := stats.Config{MaxClients: s.MaxClients, Rules: s.alertRules}
	if s.GeoIPDB != "" {
		if scfg.Geo, err = geo.Open(s.GeoIPDB); err != nil {
			return nil, fmt.Errorf("MCP_SSE_GEOIP_DB: %w", err)
		}
		log.LogAttrs(context.Background(), slog.LevelInfo, "clients placed by a geographic database",
			slog.String("file", s.GeoIPDB), slog.String("type", scfg.Geo.Type()))
		defer func() {
			if g == nil { // a later part failed
				scfg.Geo.Close()
			}
		}()
	}
	db, err := openStatsDB(s.StatsDB)
	if err != nil {
		scfg.HistoryErr = fmt.Errorf("MCP_SSE_STATS_DB: %w", err) // reported; history stays in memory
	} else if db != nil {
		scfg.History = db
		defer func() {
			if g == nil { // a later part failed
				db.Close()
			}
		}()
	}
	col, err := stats.New(scfg, h, meter, log.With("part", "stats"))
	if err != nil {
		return nil, fmt.Errorf("MCP_SSE_ALERTS: %w", err)
	}
	var srv *httpapi.Server
	reg := prometheus.NewRegistry() // never the default registry: the gateway owns what it exports
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		col.Prometheus(stats.PromSources{Link: promLink(ha), RateLimited: func() int64 { return srv.RateLimited() }}))
	link := linkStatus(ha)
	var clusterView httpapi.Cluster
	if node != nil {
		link, clusterView = clusterLinkStatus(link, node), node
	}
	srv, err = httpapi.New(httpapi.Config{
		EventsPath:     s.EventsPath,
		DisableEvents:  !s.EventsEnabled,
		DefaultFormat:  kind,
		Auth:           s.Auth,
		Version:        versionLine(),
		CORSOrigins:    origins,
		AllowedHosts:   trimAll(s.AllowedHosts),
		IPLimit:        ipLimit,
		UserLimit:      userLimit,
		TrustedProxies: s.trustedProxies,
		TLSCert:        s.TLSCert,
		TLSKey:         s.TLSKey,
		Stats:          col,
		Metrics:        reg,
		Cluster:        clusterView,
		// An accepted token's streams are checked again once its answer has run out.
		RevalidateEvery: min(30*time.Second, s.AuthHACache),
	}, h, authn, link, log.With("part", "http"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", s.Addr)
	if err != nil {
		return nil, fmt.Errorf("MCP_HTTP_ADDR: %w", err)
	}
	return &gateway{hub: h, stats: col, db: db, geo: scfg.Geo, ha: ha, node: node, http: srv, listen: ln, tls: s.TLSCert != ""}, nil
}

// run runs every part until ctx ends or one fails.
func (g *gateway) run(ctx context.Context) error {
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return g.hub.Run(ctx) })
	eg.Go(func() error {
		err := g.stats.Run(ctx) // saves what it still holds before it returns
		if g.db != nil {
			g.db.Close()
		}
		return err
	})
	ingest := func(ctx context.Context, sink halink.Sink) error { return g.ha.Run(ctx, g.stats.Sink(sink)) }
	if g.node == nil {
		eg.Go(func() error { return ingest(ctx, g.hub) })
	} else { // the ingest runs while this instance leads; every instance reads the stream
		eg.Go(func() error {
			return g.node.Run(ctx, cluster.Local{Hub: g.hub, Ingest: ingest, Link: haLink(g.ha),
				Stats: func(ctx context.Context) any { return g.stats.Stats(ctx) }})
		})
	}
	eg.Go(func() error { return g.http.Serve(ctx, g.listen) })
	err := eg.Wait()
	if g.geo != nil {
		g.geo.Close() // nothing reads it any more
	}
	return err
}

// url is the gateway's base URL as a local client reaches it.
func (g *gateway) url() string {
	if g.tls {
		return "https://" + g.listen.Addr().String()
	}
	return "http://" + g.listen.Addr().String()
}

func linkStatus(ha *halink.Client) func() httpapi.LinkStatus {
	return func() httpapi.LinkStatus {
		st := ha.Status()
		ls := httpapi.LinkStatus{Connected: st.Connected, Starting: st.Starting, Version: st.HAVersion, LastEventAt: st.LastEventAt, Registry: ha.RegistryProblem()}
		switch {
		case st.Connected:
		case errors.Is(st.LastError, halink.ErrBanned):
			ls.Code = "banned"
			ls.Problem = "Home Assistant refuses hasse's address (HTTP 403): banned after failed logins; remove it from ip_bans.yaml " +
				"in Home Assistant's configuration folder and restart Home Assistant; retrying at least every 5 minutes"
		case errors.Is(st.LastError, halink.ErrAuthInvalid) && st.RetryAt.IsZero():
			ls.Code = "token_refused"
			ls.Problem = "Home Assistant refused the access token (HA_TOKEN) twice; hasse stopped trying, as each try is a failed " +
				"login towards a ban of its address: set HA_TOKEN to an admin's long-lived access token and restart hasse"
		case errors.Is(st.LastError, halink.ErrAuthInvalid):
			ls.Code = "token_refused"
			ls.Problem = "Home Assistant refused the access token (HA_TOKEN): it must be an admin's long-lived access token; " +
				"trying once more"
		case st.LastError != nil:
			ls.Code, ls.Problem = "unreachable", "cannot reach Home Assistant; retrying"
		default:
			ls.Code, ls.Problem = "connecting", "connecting to Home Assistant"
		}
		if !st.Connected {
			ls.RetryAt = st.RetryAt
		}
		return ls
	}
}

// openStatsDB opens the statistics history file at path, making its folder; nil for "" and
// "off" (history in memory only).
func openStatsDB(path string) (*store.DB, error) {
	if path == "" || path == "off" {
		return nil, nil
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, err
	}
	return store.Open(path)
}

// promLink reports the Home Assistant link for /metrics.
func promLink(ha *halink.Client) func() stats.Link {
	return func() stats.Link {
		st := ha.Status()
		return stats.Link{Connected: st.Connected, Reconnects: max(st.Connects-1, 0)}
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
