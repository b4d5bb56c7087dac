// Package hass is the gateway's side of Home Assistant's WebSocket API: the [Event] every other
// package works with, the normalising and sanitising that turn HA's event frames into Events
// ([Normalize], [Sanitizer]), and the [Client] that holds the one connection to Home Assistant.
//
// [Client.Run] is the client's long-lived goroutine: it connects, authenticates, subscribes to
// every event and reconnects whenever the connection is lost. Each connection runs two more
// goroutines, a reader that normalises and publishes events and a writer that owns command ids,
// pending replies and pings; both exit before the connection's successor is dialled, and all
// have exited when Run returns after its context ends.
//
// Frames are not decoded with encoding/json: ingest must keep up with tens of thousands of
// events a second, so a frame is validated once and the few members the gateway needs are
// picked out of the bytes (scan.go).
package hass
