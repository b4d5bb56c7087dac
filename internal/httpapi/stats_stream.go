package httpapi

import "net/http"

// observed tells the statistics collector when a stream handler has opened its stream and when
// it has ended, so that the collector looks at the hub's clients then and records the closed ones
// with their events and close reason (the hub reports no closes itself). The collector coalesces
// these notices: it looks at most once per stats.Config.ReconcileGap, so a stream shorter than
// that may be missing from the closed connections.
func (s *Server) observed(h handlerFunc) handlerFunc {
	if s.cfg.Stats == nil {
		return h
	}
	return func(w http.ResponseWriter, r *http.Request) error {
		defer s.cfg.Stats.Notice() // the stream's client is unregistered by now
		return h(&noticeWriter{ResponseWriter: w, s: s}, r)
	}
}

// noticeWriter notices the first flush of a response: the stream's client is registered by then.
type noticeWriter struct {
	http.ResponseWriter
	s       *Server
	flushed bool
}

// Unwrap lets http.ResponseController reach the connection's deadlines.
func (w *noticeWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

// FlushError flushes, as http.ResponseController.Flush asks.
func (w *noticeWriter) FlushError() error {
	var err error
	switch f := w.ResponseWriter.(type) {
	case interface{ FlushError() error }:
		err = f.FlushError()
	case http.Flusher:
		f.Flush()
	default:
		err = http.NewResponseController(w.ResponseWriter).Flush()
	}
	if !w.flushed {
		w.flushed = true
		w.s.cfg.Stats.Notice()
	}
	return err
}
