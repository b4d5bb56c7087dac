package format

// The words of the control events (SPEC.md §4.4), each kind a type of its own so that an error
// code cannot be passed as a gap reason. Every package that writes, compares or counts one of
// these words takes it from here; the constants' values are the bytes on the wire.

// Gap is the reason of a gap event: why a client may have missed events.
type Gap string

// The gap reasons.
const (
	GapHAReconnected        Gap = "ha_reconnected"         // the link to Home Assistant was down and is back
	GapReplayWindowExceeded Gap = "replay_window_exceeded" // the last event id is older than the history held
	GapUnknownEventID       Gap = "unknown_event_id"       // the last event id is not one the gateway gave
	GapEpochChanged         Gap = "epoch_changed"          // the last event id is of a history that is gone
	GapLeaderFailover       Gap = "leader_failover"        // another instance took over reading Home Assistant
)

// ErrorCode is the code of an error event.
type ErrorCode string

// The error codes.
const (
	ErrorHADisconnected ErrorCode = "ha_disconnected" // the link to Home Assistant is lost; events pause
	ErrorSlowConsumer   ErrorCode = "slow_consumer"   // the client did not keep up; the stream ends
	ErrorUnauthorized   ErrorCode = "unauthorized"    // the client's token is no longer valid; the stream ends
	ErrorInternal       ErrorCode = "internal"        // the gateway failed
)

// DisconnectReason is the reason of a disconnect event: why the gateway ends a stream the
// client may open again.
type DisconnectReason string

// The disconnect reasons.
const (
	DisconnectServerShutdown DisconnectReason = "server_shutdown" // the gateway is stopping
	DisconnectClosedByAdmin  DisconnectReason = "closed_by_admin" // an administrator closed the stream
)
