package main

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	mrand "math/rand/v2"
	"net"
	"net/http"
	"time"

	"golang.org/x/sync/errgroup"

	"hasse/internal/simulator"
)

// simulate runs only the simulated Home Assistant.
func simulate(ctx context.Context, s settings, stdout io.Writer, log *slog.Logger) error {
	token := cmp.Or(s.SimToken, newToken())
	s.SimUserToken = cmp.Or(s.SimUserToken, newToken())
	sim, ln, err := startSimulator(s, token, s.Addr, log)
	if err != nil {
		return err
	}
	fmt.Fprintf(stdout, "hasse simulate: a simulated Home Assistant %s\n", "is listening.")
	fmt.Fprintf(stdout, "  websocket: ws://%s/api/websocket\n", ln.Addr())
	fmt.Fprintf(stdout, "  token:     %s (admin)\n", token)
	fmt.Fprintf(stdout, "  user:      %s (non-admin)\n", s.SimUserToken)
	fmt.Fprintf(stdout, "  gateway:   HA_URL=http://%s HA_TOKEN=%s hasse serve\n", ln.Addr(), token)
	return runSimulator(ctx, sim, ln)
}

// startSimulator makes a simulator and its listener.
func startSimulator(s settings, token, addr string, log *slog.Logger) (*simulator.Simulator, net.Listener, error) {
	rate := s.SimRate
	if rate == 0 {
		rate = -1 // no activity at all
	}
	seed := s.SimSeed
	for seed == 0 {
		seed = mrand.Int64() // 0 asks for a different home activity each run
	}
	sim, err := simulator.New(simulator.Config{
		Token: token, UserToken: s.SimUserToken, Seed: seed, Rate: rate, Version: s.SimVersion,
		FailAuth: s.SimFailAuth, DropEvery: s.SimDropEvery, RestartEvery: s.SimRestartEvery,
		StartupTime: s.SimStartupTime,
	}, log.With("part", "simulator"))
	if err != nil {
		return nil, nil, err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, nil, usageError{fmt.Errorf("simulator listen: %w", err)}
	}
	return sim, ln, nil
}

// runSimulator serves sim on ln until ctx ends.
func runSimulator(ctx context.Context, sim *simulator.Simulator, ln net.Listener) error {
	srv := &http.Server{Handler: sim, ReadHeaderTimeout: 10 * time.Second}
	eg, ctx := errgroup.WithContext(ctx)
	eg.Go(func() error { return sim.Run(ctx) })
	eg.Go(func() error {
		if err := srv.Serve(ln); !errors.Is(err, http.ErrServerClosed) {
			return fmt.Errorf("simulator: %w", err)
		}
		return nil
	})
	eg.Go(func() error {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 5*time.Second)
		defer cancel()
		if err := srv.Shutdown(sctx); err != nil {
			return srv.Close()
		}
		return nil
	})
	return eg.Wait()
}

// newToken returns a fresh random token shaped as Home Assistant's access tokens are (a JWT).
func newToken() string {
	return simulator.NewToken()
}
