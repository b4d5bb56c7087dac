package httpapi

import (
	"net/http"
	"testing"
	"testing/synctest"
	"time"

	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"

	"hasse/internal/limit"
	"hasse/internal/ssetest"
	"hasse/internal/stats"
)

// TestMetricsParseWithExpfmt reads /metrics with Prometheus's own parser. It runs in a synctest
// bubble, over in-memory connections: the bubble's clock stands still while the event is
// delivered, so the delivery latency the histogram holds is exactly the 3 ms the event was given
// before it was published, whatever the machine's load.
func TestMetricsParseWithExpfmt(t *testing.T) {
	synctest.Test(t, testMetricsParseWithExpfmt)
}

func testMetricsParseWithExpfmt(t *testing.T) {
	env := newPipeStatsEnv(t, Config{UserLimit: limit.Config{Requests: 2, Window: time.Minute}}, stats.Config{})
	req, _ := http.NewRequest("GET", env.url+"/subscribe_events?token="+adminToken, nil)
	_, events := ssetest.OpenWith(t, env.client, req)
	next(t, events)
	ev := stateEvent("light.kitchen", "on")
	ev.Received = time.Now().Add(-3 * time.Millisecond)
	env.stats.Sink(env.hub).Publish(ev) // counted by type, then dispatched
	next(t, events)
	synctest.Wait()
	if n := env.stats.Stats(t.Context()).TotalEventsSent; n != 1 {
		t.Fatalf("%d deliveries counted, want 1", n)
	}
	for range 3 { // the third is over user wall's limit
		env.call(t, "GET", "/api/sse/stats", "wall-secret", "")
	}

	req, _ = http.NewRequest("GET", env.url+"/metrics", nil)
	req.Header.Set("Authorization", "Bearer "+adminToken) // the second request of user admin
	resp, err := env.client.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatalf("/metrics does not parse: %v", err)
	}
	value := func(name string, labels ...string) float64 {
		t.Helper()
		f := fams[name]
		if f == nil {
			t.Errorf("/metrics lacks %s", name)
			return -1
		}
	metrics:
		for _, m := range f.Metric {
			for i := 0; i+1 < len(labels); i += 2 {
				if !hasLabel(m, labels[i], labels[i+1]) {
					continue metrics
				}
			}
			switch {
			case m.Gauge != nil:
				return m.Gauge.GetValue()
			case m.Counter != nil:
				return m.Counter.GetValue()
			case m.Histogram != nil:
				return float64(m.Histogram.GetSampleCount())
			}
		}
		t.Errorf("/metrics has no %s%v", name, labels)
		return -1
	}
	for _, tc := range []struct {
		name   string
		labels []string
		want   float64
	}{
		{"hasse_sse_clients", nil, 1},
		{"hasse_sse_deliveries_total", nil, 1},
		{"hasse_sse_events_dispatched_total", nil, 1},
		{"hasse_sse_client_drops_total", []string{"reason", "slow_consumer"}, 0},
		{"hasse_sse_connections_closed_total", []string{"reason", "closed_by_admin"}, 0},
		{"hasse_sse_delivery_latency_seconds", nil, 1},
		{"hasse_ha_connected", nil, 1},
		{"hasse_ha_reconnects_total", nil, 2},
		{"hasse_ha_events_total", []string{"event_type", "state_changed"}, 1},
		{"hasse_http_rate_limited_total", nil, 1},
	} {
		if got := value(tc.name, tc.labels...); got != tc.want {
			t.Errorf("%s%v = %v, want %v", tc.name, tc.labels, got, tc.want)
		}
	}
	// The one delivery took 3 ms: it is in the 4.096 ms bucket, not in the 2.048 ms one.
	h := fams["hasse_sse_delivery_latency_seconds"].Metric[0].Histogram
	for _, b := range h.Bucket {
		switch b.GetUpperBound() {
		case 0.002048:
			if b.GetCumulativeCount() != 0 {
				t.Errorf("bucket le=0.002048 holds %d, want 0", b.GetCumulativeCount())
			}
		case 0.004096:
			if b.GetCumulativeCount() != 1 {
				t.Errorf("bucket le=0.004096 holds %d, want 1", b.GetCumulativeCount())
			}
		}
	}
}

func hasLabel(m *dto.Metric, name, value string) bool {
	for _, l := range m.Label {
		if l.GetName() == name && l.GetValue() == value {
			return true
		}
	}
	return false
}
