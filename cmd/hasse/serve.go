package main

import (
	"context"
	"log/slog"
)

// serve runs the gateway against a real Home Assistant.
func serve(ctx context.Context, s settings, log *slog.Logger) error {
	authn, err := staticTokens(s)
	if err != nil {
		return usageError{err}
	}
	g, err := newGateway(s, s.HAURL, s.HAToken, authn, log)
	if err != nil {
		return usageError{err}
	}
	if s.Auth == "none" {
		log.Warn("auth is none: anyone who reaches the port sees the home's events", "addr", s.Addr)
	}
	log.Info("hasse serving", "url", g.url(), "events_path", s.EventsPath, "auth", s.Auth)
	return g.run(ctx)
}
