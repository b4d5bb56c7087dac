package stats

import (
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
		descBacklog, descLatency, descHAUp, descHAReconnect, descEvents, descRateLimited, descAlerts} {
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
}
