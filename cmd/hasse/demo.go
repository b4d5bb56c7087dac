package main

import (
	"context"
	"fmt"
	"io"
	"log/slog"

	"golang.org/x/sync/errgroup"

	"hasse/internal/auth"
	"hasse/internal/gateway"
	"hasse/internal/httpapi"
)

// demo runs the whole gateway on a simulated home, with a fresh admin token unless auth is none.
func demo(ctx context.Context, s settings, stdout io.Writer, log *slog.Logger) error {
	simToken := newToken()
	if s.Auth == "ha" {
		s.SimUserToken = newToken() // a non-admin user of the simulated home, to try authorization with
	}
	sim, simLn, err := startSimulator(s, simToken, "127.0.0.1:0", log)
	if err != nil {
		return err
	}
	defer simLn.Close()
	simURL := "http://" + simLn.Addr().String()

	var authn *auth.Static
	token := ""
	if s.Auth == "ha" {
		token = simToken // the simulated Home Assistant's own admin token
	}
	if s.Auth == "tokens" && s.TokensFile != "" {
		if authn, err = auth.LoadStatic(s.TokensFile); err != nil {
			return usageError{fmt.Errorf("MCP_SSE_TOKENS_FILE: %w", err)}
		}
	} else if s.Auth == "tokens" {
		token = newToken()
		if authn, err = auth.NewStatic([]auth.Entry{{Name: "demo", Token: token, Admin: true}}); err != nil {
			return err
		}
	}
	var a httpapi.Authenticator
	if authn != nil {
		a = authn
	}
	g, err := gateway.New(s.gateway(simURL, simToken, a), log)
	if err != nil {
		return usageError{err}
	}
	printDemo(stdout, g.URL()+s.EventsPath, g.URL(), token, s.SimUserToken)

	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return runSimulator(ctx, sim, simLn) })
	eg.Go(func() error { return g.Run(ctx) })
	return eg.Wait()
}

func printDemo(w io.Writer, stream, base, token, userToken string) {
	fmt.Fprintln(w, "hasse demo: a simulated home is live. Try:")
	if token == "" {
		fmt.Fprintf(w, "  curl -N %s\n", stream)
		fmt.Fprintf(w, "  stream:    %s?domain=light\n", stream)
	} else {
		fmt.Fprintf(w, "  curl -N -H 'Authorization: Bearer %s' %s\n", token, stream)
		fmt.Fprintf(w, "  stream:    %s?token=%s&domain=light\n", stream, token)
		fmt.Fprintf(w, "  token:     %s (admin)\n", token)
	}
	if userToken != "" {
		fmt.Fprintf(w, "  user:      %s (a non-admin Home Assistant user)\n", userToken)
	}
	fmt.Fprintf(w, "  health:    %s/health\n", base)
	if token == "" {
		fmt.Fprintf(w, "  dashboard: %s/\n", base)
		fmt.Fprintf(w, "  tail:      go run ./cmd/hasse tail --url %s\n", base)
	} else {
		fmt.Fprintf(w, "  dashboard: %s/ (sign in with the token)\n", base)
		fmt.Fprintf(w, "  tail:      go run ./cmd/hasse tail --url %s --token %s\n", base, token)
	}
	fmt.Fprintln(w, "Press Ctrl-C to stop.")
}
