// Package hub fans Home Assistant events out to SSE clients.
//
// [Hub.Run] is the package's only long-lived goroutine. It owns the subscriber index, the event
// sequence, the replay ring, the last state of every entity and the connection counts: events,
// joins and leaves reach it over channels, so a client is registered in one step and nothing
// falls between two of them. Each event is encoded once in both wire formats
// ([format.NewFrame]) and pushed, without ever blocking, into the bounded queue of every
// matching client; a client whose queue would overflow is dropped with a slow_consumer error.
//
// Everything enters by one door: [Hub.Publish] for an event, [Hub.Connected] and
// [Hub.Disconnected] for the link to Home Assistant (its states resync the clients, and an
// outage reaches them as an error then a gap), and, from a history elsewhere (cluster mode),
// [Hub.Gap] and [Hub.Reset]. The words of those control events are package format's.
//
// The hub numbers events ("<epoch>-<sequence>") unless they come with ids of their own, from
// that history: those it treats as opaque strings, found in its replay ring by exact match; an
// id it does not hold it asks a [History] about, on the subscriber's goroutine. The history's
// marks where events may have been lost sit in the ring among the events, so a replay that
// crosses one reports its gap.
//
// A [Client]'s queue is drained by its writer (package writer), which the hub wakes through
// [Client.Wake] and which takes the backlog, then what is queued ([Client.Next]). The hub writes
// no bytes to a connection: when it ends a client (Run ends, the client was too slow, an
// administrator closed it, its token expired) it closes [Client.Done] and names the reason
// ([Ending]); the writer says the last words.
package hub
