// Package stats measures the gateway for the SSE statistics tool (SPEC.md §6): delivery latency,
// event rates, connections, backlog, the writer pool's load, the process's CPU and memory, their
// history in rollups, the closed connections, alerts on all of these, and their Prometheus
// export.
//
// Three feeds reach it on the hot path, none of which locks or allocates. A [Meter] is the hub's
// [hub.Meter]: every write to a client tells it the receive times of the events it carried (a
// sharded latency histogram), the bytes it wrote, and the events that never arrived.
// [Collector.Sink] counts the events read from Home Assistant by type. And the hub's
// Config.OnClose hands every client it unregisters to [Collector.Unregistered], which queues it.
//
// [Collector.Run] is the package's one goroutine. Every Config.Interval it takes a [Sample],
// folds it into the rollups of every resolution (10 s for an hour, 1 min for a day, 5 min for a
// week, 30 min for a month), hands points to the [Store], evaluates the alert rules and pushes
// their transitions to subscribers. On every sample, and soon after each [Collector.Notice] (a
// stream started or ended), it looks at the hub's open clients and records the queued closed
// ones as [Closed] connections, with the close reason their ending names. Readers that need its
// state ([Collector.Metrics], [Collector.History], [Collector.Alerts], …) ask Run through a
// channel; [Collector.Stats] reads what the last sample left, lock-free. Run returns when its
// context ends, after a last, shorter sample and saving the points still filling;
// [Collector.Done] is closed then.
package stats
