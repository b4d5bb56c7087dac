package gateway

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"net"
	"os"
	"path/filepath"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/redis/go-redis/v9"
	"golang.org/x/sync/errgroup"

	"hasse/internal/auth"
	"hasse/internal/cluster"
	"hasse/internal/geo"
	"hasse/internal/halink"
	"hasse/internal/httpapi"
	"hasse/internal/hub"
	"hasse/internal/stats"
	"hasse/internal/store"
)

// Config is what the gateway is built from. The parts' own settings pass through; the fields
// that connect parts (the meter, the hub's history in multi-instance mode, the server's
// statistics, metrics and cluster view, the collector's history and geographic database) are
// the gateway's to set.
type Config struct {
	Addr string // listen address; default 127.0.0.1:0

	HA    halink.Config  // the Home Assistant link
	Hub   hub.Config     // Meter and History are set by the gateway
	Stats stats.Config   // Store, StoreErr and Geo are set by the gateway
	HTTP  httpapi.Config // Stats, Metrics and Cluster are set by the gateway

	// Authn tells who a client's token belongs to. Nil under httpapi.AuthHA: clients' own Home
	// Assistant tokens, asked of Home Assistant as AuthHA says. Nil under httpapi.AuthNone.
	Authn  httpapi.Authenticator
	AuthHA auth.HAConfig

	StatsDB string          // the statistics history file, its folder made; "" or "off": in memory only
	GeoIPDB string          // a MaxMind-format database placing clients; "": none
	Cluster *cluster.Config // multi-instance mode; nil: one instance

	// Names are the caller's names of the fields above, for messages: "StatsDB" →
	// "MCP_SSE_STATS_DB". A field without one is called by its own name (HA.URL, Addr, StatsDB,
	// GeoIPDB, Cluster, Stats).
	Names map[string]string
}

// settingError is err, made by the part that Config field field configures, named as the
// caller names the field.
func (c *Config) settingError(field string, err error) error {
	return fmt.Errorf("%s: %w", cmp.Or(c.Names[field], field), err)
}

// Gateway is hasse wired: create it with [New], run it with [Gateway.Run].
type Gateway struct {
	hub    *hub.Hub
	stats  *stats.Collector
	db     *store.DB // the statistics history; nil: in memory only
	geo    *geo.DB   // countries and cities of clients; nil: none
	ha     *halink.Client
	node   *cluster.Node // multi-instance mode; nil otherwise
	http   *httpapi.Server
	listen net.Listener
	tls    bool
}

// New wires a gateway from cfg and opens its listener; nothing runs until [Gateway.Run].
func New(cfg Config, log *slog.Logger) (g *Gateway, err error) {
	meter := new(stats.Meter)
	var col *stats.Collector // made once the hub is; told of every stream that ends
	cfg.Hub.Meter, cfg.Hub.OnClose = meter, func(c *hub.Client) { col.Unregistered(c) }
	var node *cluster.Node
	if cfg.Cluster != nil {
		redis.SetLogger(cluster.RedisLog{Log: log.With("part", "redis")}) // go-redis has one logger per process
		if node, err = cluster.New(*cfg.Cluster, log.With("part", "cluster")); err != nil {
			return nil, cfg.settingError("Cluster", err)
		}
		if cfg.Hub.ReplaySize > 0 {
			cfg.Hub.History = node // resumes older than the ring are read from the stream
		}
	}
	h, err := hub.New(cfg.Hub, log.With("part", "hub"))
	if err != nil {
		return nil, err
	}
	ha, err := halink.New(cfg.HA, log.With("part", "ha"))
	if err != nil {
		return nil, cfg.settingError("HA.URL", err)
	}
	authn := cfg.Authn
	if cfg.HTTP.Auth == httpapi.AuthHA && authn == nil {
		authn = auth.NewHA(cfg.AuthHA, ha, log.With("part", "auth")) // clients' own tokens, asked of Home Assistant
	}
	scfg := cfg.Stats
	if cfg.GeoIPDB != "" {
		if scfg.Geo, err = geo.Open(cfg.GeoIPDB); err != nil {
			return nil, cfg.settingError("GeoIPDB", err)
		}
		log.LogAttrs(context.Background(), slog.LevelInfo, "clients placed by a geographic database",
			slog.String("file", cfg.GeoIPDB), slog.String("type", scfg.Geo.Type()))
		defer func() {
			if g == nil { // a later part failed
				scfg.Geo.Close()
			}
		}()
	}
	db, err := openStatsDB(cfg.StatsDB)
	if err != nil {
		scfg.StoreErr = cfg.settingError("StatsDB", err) // reported; history stays in memory
	} else if db != nil {
		scfg.Store = db
		defer func() {
			if g == nil { // a later part failed
				db.Close()
			}
		}()
	}
	col, err = stats.New(scfg, h, meter, log.With("part", "stats"))
	if err != nil {
		return nil, cfg.settingError("Stats", err)
	}
	var srv *httpapi.Server
	reg := prometheus.NewRegistry() // never the default registry: the gateway owns what it exports
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}),
		col.Prometheus(stats.PromSources{Link: promLink(ha), RateLimited: func() int64 { return srv.RateLimited() }}))
	link := linkStatus(ha)
	hcfg := cfg.HTTP
	hcfg.Stats, hcfg.Metrics = col, reg
	if node != nil {
		link, hcfg.Cluster = clusterLinkStatus(link, node.Status), node
	}
	srv, err = httpapi.New(hcfg, h, authn, link, log.With("part", "http"))
	if err != nil {
		return nil, err
	}
	ln, err := net.Listen("tcp", cmp.Or(cfg.Addr, "127.0.0.1:0"))
	if err != nil {
		return nil, cfg.settingError("Addr", err)
	}
	return &Gateway{hub: h, stats: col, db: db, geo: scfg.Geo, ha: ha, node: node, http: srv, listen: ln, tls: hcfg.TLSCert != ""}, nil
}

// Run runs every part until ctx ends or one fails.
func (g *Gateway) Run(ctx context.Context) error {
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return g.hub.Run(ctx) })
	eg.Go(func() error {
		err := g.stats.Run(ctx) // saves what it still holds before it returns
		if g.db != nil {
			g.db.Close()
		}
		return err
	})
	ingest := func(ctx context.Context, sink cluster.Sink) error { return g.ha.Run(ctx, g.stats.Sink(sink)) }
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

// URL is the gateway's base URL as a local client reaches it.
func (g *Gateway) URL() string {
	if g.tls {
		return "https://" + g.listen.Addr().String()
	}
	return "http://" + g.listen.Addr().String()
}

// Hub is the gateway's hub.
func (g *Gateway) Hub() *hub.Hub { return g.hub }

// HAStatus is the state of the link to Home Assistant.
func (g *Gateway) HAStatus() halink.Status { return g.ha.Status() }

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
