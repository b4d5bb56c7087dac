// Package store keeps the statistics history (SPEC.md §6.4) in SQLite, through the pure-Go
// modernc.org/sqlite driver, in WAL mode: the rollup points of every resolution and the closed
// connections, so that history survives a restart. It starts no goroutine; a [DB] is used by one
// caller at a time (the statistics collector's goroutine) and closed by whoever opened it.
package store
