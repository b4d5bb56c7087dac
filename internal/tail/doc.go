// Package tail is the terminal client of `hasse tail`: it reads a gateway's SSE stream
// (SPEC.md §4), reconnects by itself, resuming with Last-Event-ID after the last event it read,
// and prints each message as a pretty line or a JSON line.
//
// [Run] is the client loop; it runs in the caller's goroutine, starts none that outlive it
// (a watchdog timer per connection ends a silent one), and returns when its context ends, when
// it printed the events it was asked for, or when the gateway refuses the stream for good
// ([RefusedError]). Between attempts it waits with a jittered exponential backoff whose base is
// the server's retry: hint, and honours Retry-After.
//
// It parses SSE itself (sse.go, checked against go-sse's parser in the tests) because it needs
// what go-sse's reader keeps to itself: the retry: field, and whether a block had its own id.
// [Printer] renders both wire formats (envelope and named) and the control events of SPEC.md
// §4.4; gaps are printed loudly.
package tail
