package httpapi

import (
	"net/http"
	"net/url"

	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// metricsExport answers GET /metrics in Prometheus's text format (SPEC.md §6.3), to
// administrators, as the rest of the statistics tool (a scraper sends the token as a Bearer
// header: Prometheus's authorization setting).
func (s *Server) metricsExport(w http.ResponseWriter, r *http.Request, _ url.Values) error {
	promhttp.HandlerFor(s.cfg.Metrics, promhttp.HandlerOpts{
		ErrorLog:      promLogger{s},
		ErrorHandling: promhttp.ContinueOnError,
	}).ServeHTTP(w, r)
	return nil
}

// promLogger hands promhttp's errors to the server's log.
type promLogger struct{ s *Server }

func (l promLogger) Println(v ...any) { l.s.log.Warn("metrics export", "err", v) }
