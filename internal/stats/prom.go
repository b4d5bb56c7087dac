package stats

import (
	"cmp"
	"context"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// Link is the state of the link to Home Assistant, for /metrics.
type Link struct {
	Connected  bool
	Reconnects int // connections after the first
}

// PromSources are what /metrics reports beside the collector's own figures. Nil fields are left
// out.
type PromSources struct {
	Link        func() Link
	RateLimited func() int64 // HTTP requests refused as over a rate limit
}

// promBoundsUS are the bounds of the exported latency histogram: powers of two from 128 µs to
// 32 s, which fall on bin edges of the collector's own histogram, so the export is exact.
var promBoundsUS = func() []int64 {
	var b []int64
	for us := int64(128); us <= 1<<25; us *= 2 {
		b = append(b, us)
	}
	return b
}()

var (
	descClients     = prometheus.NewDesc("hasse_sse_clients", "Open SSE connections.", nil, nil)
	descDeliveries  = prometheus.NewDesc("hasse_sse_deliveries_total", "Live events written and flushed to SSE clients.", nil, nil)
	descDispatched  = prometheus.NewDesc("hasse_sse_events_dispatched_total", "Events the hub fanned out.", nil, nil)
	descDrops       = prometheus.NewDesc("hasse_sse_client_drops_total", "SSE clients the gateway dropped, by reason.", []string{"reason"}, nil)
	descCloses      = prometheus.NewDesc("hasse_sse_connections_closed_total", "SSE connections seen to close, by reason.", []string{"reason"}, nil)
	descBacklog     = prometheus.NewDesc("hasse_sse_backlog_events", "Events queued to SSE clients at the last sample.", nil, nil)
	descLatency     = prometheus.NewDesc("hasse_sse_delivery_latency_seconds", "Time from reading an event from Home Assistant to flushing it to a client.", nil, nil)
	descHAUp        = prometheus.NewDesc("hasse_ha_connected", "1 while the link to Home Assistant is up.", nil, nil)
	descHAReconnect = prometheus.NewDesc("hasse_ha_reconnects_total", "Connections to Home Assistant after the first.", nil, nil)
	descEvents      = prometheus.NewDesc("hasse_ha_events_total", "Events read from Home Assistant, by type.", []string{"event_type"}, nil)
	descRateLimited = prometheus.NewDesc("hasse_http_rate_limited_total", "HTTP requests refused as over a rate limit.", nil, nil)
	descAlerts      = prometheus.NewDesc("hasse_alerts", "Alerts pending or firing (SPEC.md §6.5): 1 per alert, by state.", []string{"alert", "state"}, nil)

	descBytes       = prometheus.NewDesc("hasse_sse_bytes_sent_total", "Bytes written to SSE clients' connections.", nil, nil)
	descUndelivered = prometheus.NewDesc("hasse_sse_events_undelivered_total", "Events that should have reached an SSE client and did not: dropped with a slow consumer's queue, or carried by a failed write.", nil, nil)
	descSuccess     = prometheus.NewDesc("hasse_sse_delivery_success_ratio", "Share of the events that should have reached a client in the last sampling interval that did (1 when none should have).", nil, nil)
	descLifetime    = prometheus.NewDesc("hasse_sse_connection_duration_seconds", "How long SSE connections stayed open, counted when they close.", nil, nil)
	descAgeMax      = prometheus.NewDesc("hasse_sse_connection_age_max_seconds", "Age of the oldest open SSE connection at the last sample.", nil, nil)
	descProtocol    = prometheus.NewDesc("hasse_sse_clients_by_protocol", "Open SSE connections by HTTP protocol and TLS.", []string{"protocol", "tls"}, nil)
	descNetwork     = prometheus.NewDesc("hasse_sse_clients_by_network", "Open SSE connections by the network class and IP version of the client's address.", []string{"network", "ip_version"}, nil)
	descCountry     = prometheus.NewDesc("hasse_sse_clients_by_country", "Open SSE connections by the client's country, with a geographic database.", []string{"country"}, nil)
	descLimit       = prometheus.NewDesc("hasse_sse_clients_limit", "SSE connections the gateway may hold.", nil, nil)
	descShardConns  = prometheus.NewDesc("hasse_writer_shard_connections", "SSE connections each writer pool goroutine serves.", []string{"shard"}, nil)
	descShardWrites = prometheus.NewDesc("hasse_writer_shard_writes_total", "Socket writes of each writer pool goroutine.", []string{"shard"}, nil)
	descShardBytes  = prometheus.NewDesc("hasse_writer_shard_bytes_total", "Bytes each writer pool goroutine put on sockets.", []string{"shard"}, nil)
	descShardBusy   = prometheus.NewDesc("hasse_writer_shard_busy_seconds_total", "Time each writer pool goroutine spent writing.", []string{"shard"}, nil)
	descDiskRead    = prometheus.NewDesc("hasse_process_disk_read_bytes_total", "Bytes the process read from storage (Linux /proc/self/io).", nil, nil)
	descDiskWrite   = prometheus.NewDesc("hasse_process_disk_written_bytes_total", "Bytes the process wrote to storage (Linux /proc/self/io).", nil, nil)
	descHistWrites  = prometheus.NewDesc("hasse_stats_history_writes_total", "Transactions written to the statistics history file.", nil, nil)
	descHistTime    = prometheus.NewDesc("hasse_stats_history_write_seconds_total", "Time the statistics history file's writes took.", nil, nil)
)

// Prometheus returns a prometheus.Collector of the gateway's figures, for a registry that main
// makes (never the default one).
func (c *Collector) Prometheus(src PromSources) prometheus.Collector { return promCollector{c, src} }

type promCollector struct {
	c   *Collector
	src PromSources
}

func (p promCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{descClients, descDeliveries, descDispatched, descDrops, descCloses,
		descBacklog, descLatency, descHAUp, descHAReconnect, descEvents, descRateLimited, descAlerts,
		descBytes, descUndelivered, descSuccess, descLifetime, descAgeMax, descProtocol, descNetwork, descCountry,
		descLimit, descShardConns, descShardWrites, descShardBytes, descShardBusy, descDiskRead, descDiskWrite,
		descHistWrites, descHistTime} {
		ch <- d
	}
}

func (p promCollector) Collect(ch chan<- prometheus.Metric) {
	c := p.c
	v := c.latest.Load()
	gauge := func(d *prometheus.Desc, x float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.GaugeValue, x, labels...)
	}
	counter := func(d *prometheus.Desc, x float64, labels ...string) {
		ch <- prometheus.MustNewConstMetric(d, prometheus.CounterValue, x, labels...)
	}
	gauge(descClients, float64(c.hub.Clients()))
	counter(descDispatched, float64(c.hub.Dispatched()))
	counter(descDrops, float64(c.hub.Dropped()), ReasonSlowConsumer)
	for i, r := range reasons {
		counter(descCloses, float64(c.closes[i].Load()), r)
	}
	gauge(descBacklog, float64(v.sample.Backlog))

	d := c.meter.snapshot()
	counter(descDeliveries, float64(d.Total()))
	cum := d.cumulative(promBoundsUS)
	buckets := make(map[float64]uint64, len(promBoundsUS))
	for i, us := range promBoundsUS {
		buckets[float64(us)/1e6] = cum[i]
	}
	ch <- prometheus.MustNewConstHistogram(descLatency, d.Total(), float64(d.SumUS)/1e6, buckets)

	if p.src.Link != nil {
		l := p.src.Link()
		up := 0.0
		if l.Connected {
			up = 1
		}
		gauge(descHAUp, up)
		counter(descHAReconnect, float64(l.Reconnects))
	}
	for typ, n := range c.EventsByType() {
		counter(descEvents, float64(n), typ)
	}
	if p.src.RateLimited != nil {
		counter(descRateLimited, float64(p.src.RateLimited()))
	}
	for _, a := range v.alerts {
		gauge(descAlerts, 1, a.Rule, a.State)
	}
	p.collectExtra(v, gauge, counter, ch)
}

// collectExtra exports the figures of issue 19.
func (p promCollector) collectExtra(v *view, gauge, counter func(*prometheus.Desc, float64, ...string), ch chan<- prometheus.Metric) {
	c := p.c
	counter(descBytes, float64(c.meter.bytesSent()))
	counter(descUndelivered, float64(c.meter.lost()))
	gauge(descSuccess, v.sample.SuccessRate()/100)
	gauge(descAgeMax, v.sample.AgeMax)
	if c.cfg.MaxClients > 0 {
		gauge(descLimit, float64(c.cfg.MaxClients))
	}

	lt, sum := c.lifetimes.snapshot()
	buckets := make(map[float64]uint64, len(durationBounds))
	var cum uint64
	for i, b := range durationBounds {
		cum += uint64(lt[i])
		buckets[b.Seconds()] = cum
	}
	ch <- prometheus.MustNewConstHistogram(descLifetime, uint64(lt.Total()), sum, buckets)

	type protoKey struct{ proto, tls string }
	protos, networks := map[protoKey]int{}, map[[2]string]int{}
	countries := map[string]int{}
	for _, cl := range c.hub.List(context.Background()) {
		protos[protoKey{cmp.Or(cl.Protocol, "unknown"), strconv.FormatBool(cl.TLS != "")}]++
		place := c.placeOf(cl.RemoteAddr)
		networks[[2]string{place.Network, place.IPVersion}]++
		switch {
		case c.cfg.Geo == nil:
		case place.Country != "":
			countries[place.Country]++
		case place.Network == "public":
			countries["unknown"]++ // as in the statistics' geography
		}
	}
	for k, n := range protos {
		gauge(descProtocol, float64(n), k.proto, k.tls)
	}
	for k, n := range networks {
		gauge(descNetwork, float64(n), k[0], k[1])
	}
	for k, n := range countries {
		gauge(descCountry, float64(n), k)
	}

	for i, s := range c.shards() {
		shard := strconv.Itoa(i)
		gauge(descShardConns, float64(s.Connections), shard)
		counter(descShardWrites, float64(s.Writes), shard)
		counter(descShardBytes, float64(s.Bytes), shard)
		counter(descShardBusy, s.Busy.Seconds(), shard)
	}
	if read, written, ok := diskIO(); ok {
		counter(descDiskRead, float64(read))
		counter(descDiskWrite, float64(written))
	}
	counter(descHistWrites, float64(c.histOps.Load()))
	counter(descHistTime, time.Duration(c.histTime.Load()).Seconds())
}
