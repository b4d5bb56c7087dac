package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"runtime"
	"runtime/debug"
)

// version is set at build time with -ldflags "-X main.version=…"; otherwise the module's.
var version = ""

const usage = `hasse streams Home Assistant events to HTTP clients over Server-Sent Events.

Usage:
  hasse demo       the gateway on a built-in simulated home: no setup needed
  hasse serve      the gateway against a real Home Assistant (HA_URL, HA_TOKEN)
  hasse simulate   only the simulated Home Assistant, for client developers
  hasse tail       a terminal client: the gateway's events, pretty or as JSON lines
  hasse version    version, commit and Go version

Run "hasse <command> -h" for a command's flags; every flag has an environment name too.
`

// errUsage marks a command line hasse could not understand; it exits 2.
var errUsage = errors.New("usage")

// usageError is a bad setting or argument: its message alone is printed, and hasse exits 2.
type usageError struct{ error }

func (usageError) Is(target error) bool { return target == errUsage }

// run is hasse without the process: main's arguments, environment and output, for tests.
func run(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return errUsage
	}
	cmd, rest := args[0], args[1:]
	switch cmd {
	case "version", "-version", "--version":
		fmt.Fprintln(stdout, versionLine())
		return nil
	case "help", "-h", "-help", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	case "tail":
		return tailCommand(ctx, rest, environ, stdout, stderr)
	case "demo", "serve", "simulate":
	default:
		fmt.Fprintf(stderr, "hasse: unknown command %q\n\n%s", cmd, usage)
		return errUsage
	}
	s, err := loadSettings(cmd, rest, environ, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return usageError{err}
	}
	log := s.logger(stderr)
	switch cmd {
	case "demo":
		return demo(ctx, s, stdout, log)
	case "serve":
		return serve(ctx, s, log)
	default:
		return simulate(ctx, s, stdout, log)
	}
}

func exitCode(err error) int {
	if errors.Is(err, errUsage) {
		return 2
	}
	if ec := (interface{ ExitCode() int })(nil); errors.As(err, &ec) {
		return ec.ExitCode()
	}
	return 1
}

func versionLine() string {
	v, commit := version, "unknown"
	if info, ok := debug.ReadBuildInfo(); ok {
		if v == "" {
			v = info.Main.Version
		}
		for _, kv := range info.Settings {
			if kv.Key == "vcs.revision" {
				commit = kv.Value
			}
		}
	}
	if v == "" {
		v = "(devel)"
	}
	return fmt.Sprintf("hasse %s commit %s %s", v, commit, runtime.Version())
}
