// Package dashboard serves the live dashboard of the statistics tool (SPEC.md §6.3): one page at
// "/" and its scripts, styles and the vendored uPlot charts under [Prefix], all embedded in the
// binary. The page is public; the data it shows comes from the admin-only WebSocket API, the
// history route and the SSE endpoint, with the token the user types into the page. The package
// runs no goroutines.
package dashboard
