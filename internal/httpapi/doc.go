// Package httpapi is hasse's HTTP face: the SSE endpoint, /health and /ready, the JSON error shape
// of SPEC.md §8, and the http.Server that carries them. Its handlers run on net/http's goroutines;
// a stream handler lives as long as its client and ends when the client goes, the hub ends the
// client, or the server shuts down.
package httpapi
