// Package stats measures the gateway for the SSE statistics tool (SPEC.md §6): delivery latency,
// event rates, connections, backlog, the process's CPU and memory, their history in rollups, the
// closed connections, alerts on all of these, and their Prometheus export.
//
// A [Meter] is the hub's [hub.Meter]: every flush of a client's write tells it the receive times
// of the events it carried, and it only adds to atomic counters of a sharded latency histogram —
// no lock, no allocation. [Collector.Run] is the package's one goroutine: every Config.Interval
// it takes a [Sample], folds it into the rollups of every resolution (10 s for an hour, 1 min
// for a day, 5 min for a week, 30 min for a month), hands points to the [History] store,
// evaluates the alert rules and pushes their transitions to subscribers. It also compares the
// hub's open clients with those it saw before, on every sample and soon after each
// [Collector.Notice], to record the connections that closed. Readers that need its state
// ([Collector.Metrics], [Collector.History], [Collector.Alerts], …) ask Run through a channel;
// [Collector.Stats] reads what the last sample left, lock-free. Run returns when its context
// ends, after a last, shorter sample and saving the points still filling; [Collector.Done] is
// closed then.
package stats
