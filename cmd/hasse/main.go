// Command hasse is a Home Assistant event gateway: it holds one connection to Home Assistant's
// WebSocket API and streams its events to many clients over Server-Sent Events.
package main

import (
	"context"
	"fmt"
	"os"
	"os/signal"
	"runtime"
	"syscall"

	"hasse/internal/reclaim"
)

func main() {
	// hasse serves no heap profile, so it records none: the stacks of sampled allocations took
	// 1.4 MiB after two minutes of a busy home, a twentieth of the process.
	runtime.MemProfileRate = 0
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	// What a burst of clients leaves behind goes back to the system once the burst is over, not
	// two minutes later: an idle client then costs what it holds, not its connect's garbage too.
	go reclaim.Run(ctx, reclaim.Config{})
	err := run(ctx, os.Args[1:], os.Environ(), os.Stdout, os.Stderr)
	stop()
	if err != nil {
		fmt.Fprintln(os.Stderr, "hasse:", err)
		os.Exit(exitCode(err))
	}
}
