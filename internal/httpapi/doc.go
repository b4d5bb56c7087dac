// Package httpapi is hasse's HTTP face: the http.Server and every route on it. The SSE endpoint
// (Config.EventsPath; SPEC.md §4) authenticates the request, reads its filter and parameters,
// subscribes to the hub and hands the client to package writer with the stream's first words;
// writer then writes the stream, from its pool of goroutines for plain HTTP/1.1 and from the
// handler's goroutine otherwise. Beside it: /health and /ready, the statistics API and its
// WebSocket, /metrics, /mcp (package mcpapi) and the dashboard (package dashboard).
//
// Every route runs behind the same layers: request log, panic recovery, under auth none a guard
// against requests other sites' pages make, CORS when configured, the per-address rate limits
// and the body limits; the statistics routes also ask for an admin. Every refusal is a JSON error in the shape
// of SPEC.md §8. Under token auth the streams of a token Home Assistant stops accepting are
// ended (revalidate.go).
//
// Its handlers run on net/http's goroutines; [Server.Serve] adds the writer pool and, when the
// authenticator says when its answers expire, one goroutine that revalidates tokens. A stream
// ends when its client goes, when the hub ends it, or when the server shuts down.
package httpapi
