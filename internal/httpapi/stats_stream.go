package httpapi

import (
	"context"
	"crypto/tls"
	"net/http"

	"hasse/internal/auth"
	"hasse/internal/hub"
	"hasse/internal/writer"
)

// streamOpened notes a stream whose client the hub has registered: its token and whether an
// administrator opened it, when tokens expire, and a notice to the statistics collector, which
// then looks at the hub's clients.
func (s *Server) streamOpened(ctx context.Context, id string, tok auth.Token, admin bool) {
	if s.streams != nil {
		s.streams.add(id, opened{tok: tok, admin: admin, end: func() { s.hub.End(context.WithoutCancel(ctx), id, hub.ErrUnauthorized) }})
	}
	if s.cfg.Stats != nil {
		s.cfg.Stats.Notice()
	}
}

// streamEnded notes the end of a stream, whose client is unregistered by now or about to be (the
// hub tells the collector itself of every client it unregisters).
func (s *Server) streamEnded(id string) {
	if s.streams != nil {
		s.streams.remove(id)
	}
	if s.cfg.Stats != nil {
		s.cfg.Stats.Notice()
	}
}

// protocolOf names r's protocol and TLS version for the statistics tool: "HTTP/1.1" or
// "HTTP/2.0", and "TLS 1.3" or "" for a plain connection.
func protocolOf(r *http.Request) (proto, tlsVersion string) {
	if r.TLS != nil {
		tlsVersion = tls.VersionName(r.TLS.Version)
	}
	return r.Proto, tlsVersion
}

// poolStarted has the statistics show the load of the writer pool Serve started.
func (s *Server) poolStarted(p *writer.Pool) {
	if s.cfg.Stats != nil {
		s.cfg.Stats.SetPool(p.Status)
	}
}
