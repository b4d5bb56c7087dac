package hub

import (
	"fmt"
	"log/slog"
	"testing"

	"hasse/internal/format"
)

// benchHub returns a hub (not running: the benchmark calls dispatch itself) with n clients of
// which matching follow light.bench and the rest each follow an entity of their own.
func benchHub(b *testing.B, n, matching int) *Hub {
	h, err := New(Config{MaxClients: n, MaxClientsPerUser: n, QueueBytes: 1 << 30}, slog.New(slog.DiscardHandler))
	if err != nil {
		b.Fatal(err)
	}
	for i := range n {
		q := fmt.Sprintf("entity_id=sensor.other_%d", i)
		if i < matching {
			q = "entity_id=light.bench"
		}
		if _, err := h.add(Subscription{ID: fmt.Sprint(i), User: "u", Filter: mustFilter(b, q), Format: format.Kind(i % 2)}); err != nil {
			b.Fatal(err)
		}
	}
	return h
}

// drain empties every client's queue, as their writers would.
func drain(h *Hub) {
	var buf []byte
	for c := range h.clients {
		buf, _ = c.q.take(buf[:0], nil)
	}
}

func BenchmarkDispatch(b *testing.B) {
	for _, bc := range []struct {
		name           string
		clients, match int
	}{
		{"clients=10k/matching=1", 10_000, 1},
		{"clients=10k/matching=10k", 10_000, 10_000},
		{"clients=1k/matching=1k", 1_000, 1_000},
	} {
		b.Run(bc.name, func(b *testing.B) {
			h := benchHub(b, bc.clients, bc.match)
			ev := stateEvent("light.bench", "on")
			b.ReportAllocs()
			for b.Loop() {
				h.dispatch(ev)
				if bc.match > 1 {
					b.StopTimer()
					drain(h)
					b.StartTimer()
				}
			}
			drain(h)
		})
	}
}

// BenchmarkDispatchIDs compares the two ways an event gets its id, with 10,000 clients of which
// one matches: numbered by the hub (single-instance mode), or handed with an id of its own that
// the ring must find again by exact match (cluster mode: a map insert and, once the ring is
// full, a delete per event).
func BenchmarkDispatchIDs(b *testing.B) {
	ids := make([]string, 1<<16) // more than the ring holds, so ids are let go before they recur
	for i := range ids {
		ids[i] = fmt.Sprintf("ep-%d-0", 1700000000000+i)
	}
	for _, given := range []bool{false, true} {
		b.Run(map[bool]string{false: "ids=numbered", true: "ids=given"}[given], func(b *testing.B) {
			h := benchHub(b, 10_000, 1)
			ev := stateEvent("light.bench", "on")
			b.ReportAllocs()
			i := 0
			for b.Loop() {
				ev.ID = ""
				if given {
					ev.ID = ids[i&(len(ids)-1)]
					i++
				}
				h.dispatch(ev)
			}
			drain(h)
		})
	}
}
