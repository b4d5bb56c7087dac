// Package gateway assembles hasse from its parts: the Home Assistant client that feeds the hub,
// the hub, the statistics collector (with its history file and geographic database), the
// authenticator, the Redis cluster membership in multi-instance mode, and the HTTP server that
// drains the hub. [New] wires them from a [Config]; [Gateway.Run] runs them together.
//
// The command (cmd/hasse) turns settings into a Config; tests that need the whole gateway build
// one directly, and gatewaytest runs it until the test ends.
package gateway
