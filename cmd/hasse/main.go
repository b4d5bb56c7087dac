// Command hasse is a Home Assistant event gateway: it holds one connection to Home Assistant's
// WebSocket API and streams its events to many clients over Server-Sent Events.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"syscall"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hasse:", err)
		os.Exit(exitCode(err))
	}
}
