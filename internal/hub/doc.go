// Package hub fans Home Assistant events out to SSE clients.
//
// [Hub.Run] is the package's only long-lived goroutine. It owns the subscriber index, the event
// sequence and the connection counts: events, joins and leaves reach it over channels, so a client
// is registered in one step and nothing falls between two of them. Each event is encoded once per
// wire format ([format.NewFrame]) and pushed, without ever blocking, into the bounded queue of every
// matching client; a client whose queue would overflow is dropped with a slow_consumer error.
//
// The hub numbers events ("<epoch>-<sequence>") unless they come with ids of their own, from a
// history elsewhere (cluster mode): those it treats as opaque strings, found in its replay ring by
// exact match; an id it does not hold it asks a [History] about. Marks of that history where
// events may have been lost ([Hub.Gap]) sit in the ring among the events, so a replay that
// crosses one reports its gap.
//
// A [Client]'s queue is drained by its writer (package writer), which the hub wakes through
// [Client.Wake] and which takes the backlog, then what is queued ([Client.Next]). The hub writes
// no bytes to a connection: when it ends a client (Run ends, the client was too slow, an
// administrator closed it, its token expired) it closes [Client.Done] and names the reason
// ([Ending]); the writer says the last words.
package hub
