// Package simulator is a Home Assistant look-alike: a believable simulated home (lights,
// switches, sensors, doors, thermostats, covers, media players, locks, cameras, people,
// automations, scripts, the sun) served over Home Assistant's real WebSocket API at
// /api/websocket, plus GET /api/. It is what `hasse demo` streams from, what `hasse simulate`
// serves on :8123, and what the gateway's tests connect to. HA-PROTOCOL.md is the reference it
// follows: auth, supported_features and coalesced array frames, command ids, result and error
// shapes, subscribe_events, get_states, get_config, ping.
//
// Goroutines. [Simulator.Run] is the home's only long-lived goroutine and owns everything with
// invariants: states, subscriptions, each connection's command state, the activity's randomness.
// Connections and the exported methods send it requests (closures) and wait for them, so a client
// command, a test's SetState and an activity step are serialised like turns of HA's event loop.
// Run never blocks on a connection: the messages of one turn are handed to each connection's
// writer in one non-blocking send, and a client with 4096 messages pending is dropped.
//
// Each WebSocket connection runs on its ServeHTTP goroutine (auth, then reading commands) plus one
// writer goroutine, which that ServeHTTP call starts and waits for. When Run's ctx ends, Run stops
// taking requests, ends every connection and returns after their goroutines have exited; later
// connections are refused with 503.
package simulator
