// Package halink is the gateway's one link to Home Assistant's WebSocket API: the [Client] that
// connects, authenticates, subscribes to every event and reconnects whenever the connection is
// lost, handing a [Sink] every event (normalised and sanitised by package hass), every entity's
// state after each connect, and the end of each connection.
//
// Around that it keeps what events are annotated with at ingest: Home Assistant's area, device
// and entity registries (an event's area and labels, what a service call's target reaches) and
// what the states read have shown (the entities of each domain, automations' configuration
// ids). It also asks Home Assistant whose a token is ([Client.CurrentUser]) and clears the
// failed logins refused tokens leave ([Client.ClearFailedLogins]), and reports the link's
// [Status] for /health, /ready and metrics.
//
// [Client.Run] is the client's long-lived goroutine: it connects, authenticates, subscribes to
// every event and reconnects whenever the connection is lost. Each connection runs two more
// goroutines, a reader that normalises and publishes events and a writer that owns command ids,
// pending replies and pings; both exit before the connection's successor is dialled, and all
// have exited when Run returns after its context ends.
//
// Frames are not decoded with encoding/json: ingest must keep up with tens of thousands of
// events a second, so a frame is validated once and the few members the gateway needs are
// picked out of the bytes (package jsonscan).
package halink
