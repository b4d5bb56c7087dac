package main

import (
	"context"
	"fmt"
	"log/slog"

	"hasse/internal/auth"
	"hasse/internal/gateway"
	"hasse/internal/httpapi"
)

// serve runs the gateway against a real Home Assistant.
func serve(ctx context.Context, s settings, log *slog.Logger) error {
	authn, err := staticTokens(s)
	if err != nil {
		return usageError{err}
	}
	g, err := gateway.New(s.gateway(s.HAURL, s.HAToken, authn), log)
	if err != nil {
		return usageError{err}
	}
	if s.Auth == "none" {
		log.Warn("auth is none: anyone who reaches the port sees the home's events", "addr", s.Addr)
	}
	log.Info("hasse serving", "url", g.URL(), "events_path", s.EventsPath, "auth", s.Auth)
	return g.Run(ctx)
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
