// Package mcpapi is hasse's MCP server (SPEC.md §6.3): tools, over the Streamable HTTP transport
// of the official MCP SDK, that read the SSE statistics, the recent events and the entities'
// current states.
//
// The server is stateless: every HTTP request is a session of its own, authenticated by the
// caller (httpapi) before it reaches [Server.ServeHTTP], which acts as the user [WithUser] put in
// its context. The package starts no goroutine of its own; the SDK's per-request goroutines end
// with their request.
package mcpapi
