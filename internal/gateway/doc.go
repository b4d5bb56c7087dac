// Package gateway assembles hasse from its parts: the Home Assistant link that feeds the hub,
// the hub, the statistics collector (with its history file and geographic database), the
// authenticator, the Redis cluster membership in multi-instance mode, and the HTTP server that
// drains the hub. [New] wires them from a [Config] and opens the listener; nothing runs yet.
// [Gateway.Run] runs each part on a goroutine of its own until its context ends or one part
// fails, then returns once all have stopped (the collector having saved its history).
//
// The command (cmd/hasse) turns settings into a Config; tests that need the whole gateway build
// one directly, and gatewaytest runs it until the test ends.
package gateway
