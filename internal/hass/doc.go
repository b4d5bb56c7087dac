// Package hass is the gateway's model of Home Assistant's events: the [Event] and [State] every
// other package works with, the normalising and sanitising that turn the event objects of HA's
// frames into Events ([Normalize], [Sanitizer], [Redactions]), the event types and their wire
// aliases ([Alias], [Canonical]), and the resync events that bring subscribers back to HA's true
// state after an outage ([SameState], [Resync]).
//
// It holds no connection: the WebSocket link to Home Assistant, which reads the frames and
// hands the Events on, is package halink. hass imports no network package, so that the hub,
// the filters and the wire formats, which all need an Event, link none.
//
// Events are not decoded with encoding/json: ingest must keep up with tens of thousands of
// events a second, so an event is validated once and the few members the gateway needs are
// picked out of the bytes (package jsonscan).
package hass
