// Package cluster lets several hasse instances act as one gateway through Redis Streams
// (SPEC.md §7).
//
// One instance at a time leads: it holds a lease in Redis, runs the link to Home Assistant, and
// appends each event to one shared stream, together with the entity's state in a hash, in one
// fenced script that refuses to write for an instance whose lease is gone. Every instance,
// leader included, reads the stream in one XREAD BLOCK loop on a connection of its own and
// hands each entry to its hub through one feeder goroutine (which also carries the leader's own
// events while Redis cannot be written, and drops them once the stream shows another leader), so that event ids ("<epoch>-<stream id>") are the same on every
// instance and a client may resume on any of them. The hub knows those ids only as strings: the
// stream's ids, their order and XRANGE stay here. [Node.Locate] places an id a hub does not hold:
// one from ahead of the hub is resumed after the newest entry at or before it, which the hub
// waits for; one older than the hub's ring is served from the stream with XRANGE.
//
// [Node.Run] runs four goroutines and waits for them: the feeder, the reader, the lease loop
// (which runs the ingest while this instance leads), and the reports loop, which publishes this instance's
// statistics with a time to live and reads the leader's. They stop when Run's context ends; the
// leader then gives its lease up, so another instance takes over at once.
package cluster
