// Package simulator is a Home Assistant look-alike: a believable simulated home (lights,
// switches, sensors, doors, thermostats, covers, media players, locks, cameras, people,
// automations, scripts, the sun) served over Home Assistant's real WebSocket API at
// /api/websocket, plus GET /api/. It is what `hasse demo` streams from, what `hasse simulate`
// serves on :8123, and what the gateway's tests connect to. HA-PROTOCOL.md is the reference it
// follows: auth, supported_features and coalesced array frames, command ids, result and error
// shapes (with translation keys), subscribe_events (with HA's allowlist for non-admins),
// subscribe_entities with compressed states, get_states, get_config, get_services,
// call_service, fire_event (admins), auth/current_user, the area, device, entity, floor and label
// registry lists and their update events, ping, and HA's protocol-level heartbeat. Config.Version
// picks the shapes of that version where cores differ (HA-PROTOCOL.md §19): before 2024.4 no
// last_reported, labels or floors; from 2026.9 child devices.
//
// Faults (faults.go, restart.go) make it misbehave on demand as a real Home Assistant can:
// dropped connections, half-open stalls, slow links (Throttle), refused auth, restarts with
// changed state (and, as a real Home Assistant starts, in stages: NOT_RUNNING, STARTING with
// restored placeholders, then homeassistant_started), oversized and malformed frames. Config
// starts some of them (FailAuth, DropEvery, RestartEvery, StartupTime).
//
// Goroutines. [Simulator.Run] is the home's only long-lived goroutine and owns everything with
// invariants: states, registries, subscriptions, each connection's command state, the
// activity's randomness. Connections and the exported methods send it requests (closures) and
// wait for them, so a client command, a test's SetState and an activity step are serialised like
// turns of HA's event loop. Run never blocks on a connection: the messages of one turn are
// handed to each connection's writer in one non-blocking send, and a client with 4096 messages
// pending is dropped, as is one with more than 1024 pending that still has 1024 pending 10 s
// later (HA's peak rule).
//
// Each WebSocket connection runs on its ServeHTTP goroutine (auth, then reading commands) plus a
// writer goroutine and a heartbeat goroutine (a WebSocket ping after 55 s without a frame from
// the client; no pong within 27.5 s closes it), both started and waited for by that ServeHTTP
// call. Its socket is wrapped (wire.go) so that faults can hold or reset it below the WebSocket
// library. When Run's ctx ends, Run stops taking requests, ends every connection and returns
// after their goroutines have exited; later connections are refused with 503.
package simulator
