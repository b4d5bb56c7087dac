package hub

import (
	"context"
	"strings"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/hass"
	"hasse/internal/writer"
)

// delivery is one message a client received, and when.
type delivery struct {
	at    time.Duration
	id    string // "" when sent without an id: line
	state string
}

func (d delivery) String() string { return d.at.String() + " " + d.id + " " + d.state }

// deliveries splits a chunk of stream into its messages.
func deliveries(at time.Duration, chunk string) []delivery {
	var out []delivery
	for msg := range strings.SplitSeq(strings.TrimSuffix(chunk, "\n\n"), "\n\n") {
		d := delivery{at: at}
		for line := range strings.SplitSeq(msg, "\n") {
			if id, ok := strings.CutPrefix(line, "id: "); ok {
				d.id = id
			}
			if data, ok := strings.CutPrefix(line, "data: "); ok {
				_, rest, _ := strings.Cut(data, `"state":"`)
				d.state, _, _ = strings.Cut(rest, `"`)
			}
		}
		out = append(out, d)
	}
	return out
}

func TestThrottleLeadingAndTrailing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHub(t, Config{Epoch: "e"})
		c, err := h.Subscribe(context.Background(), Subscription{ID: "t", User: "u", Throttle: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := streamWith(t, c, writer.Config{KeepAlive: time.Hour})
		start := time.Now()
		var got []delivery
		collect := func() {
			synctest.Wait()
			for {
				select {
				case chunk := <-rec.Flushes:
					got = append(got, deliveries(time.Since(start), chunk)...)
				default:
					return
				}
			}
		}
		publish := func(evs ...*hass.Event) {
			for _, ev := range evs {
				h.Publish(ev)
			}
			collect()
		}
		call := &hass.Event{Type: hass.TypeCallService, Domain: "light", Data: []byte(`{"domain":"light","service":"turn_on"}`)}

		publish(stateEvent("light.a", "a1"), stateEvent("light.a", "a2"), stateEvent("light.b", "b1"), stateEvent("light.a", "a3"), call) // e-1..e-5
		time.Sleep(500 * time.Millisecond)
		publish(stateEvent("light.a", "a4")) // e-6, same window: replaces a3
		time.Sleep(500 * time.Millisecond)   // t=1s: a's window ends with a4
		collect()
		time.Sleep(1100 * time.Millisecond) // t=2.1s: a's second window ended at 2s with nothing: closed
		collect()
		publish(stateEvent("light.a", "a5")) // e-7: a new leading edge, at once

		want := []delivery{
			{0, "e-1", "a1"}, // the leading edge
			// While light.a holds a state back, what goes out carries no id: a resume must not
			// pass the held state.
			{0, "", "b1"}, {0, "", ""}, // light.b's leading edge; call_service untouched
			{time.Second, "e-6", "a4"}, // the latest at the window's end, with its id: nothing is held now
			{2100 * time.Millisecond, "e-7", "a5"},
		}
		if len(got) != len(want) {
			t.Fatalf("throttled client got %v, want %v", got, want)
		}
		for i := range want {
			if got[i] != want[i] {
				t.Errorf("delivery %d: %v, want %v", i, got[i], want[i])
			}
		}
	})
}

// TestThrottledClientResumesWithoutLoss: while a state is held back, the events that pass it
// carry no id, so a client that drops then resumes from its Last-Event-ID gets the held state
// again instead of losing it.
func TestThrottledClientResumesWithoutLoss(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		h := startHub(t, Config{Epoch: "e"})
		c, err := h.Subscribe(context.Background(), Subscription{ID: "t", User: "u", Throttle: time.Second})
		if err != nil {
			t.Fatal(err)
		}
		rec, _ := streamWith(t, c, writer.Config{KeepAlive: time.Hour})
		h.Publish(stateEvent("light.a", "a1")) // e-1 at once
		h.Publish(stateEvent("light.a", "a2")) // e-2 held
		time.Sleep(500 * time.Millisecond)
		h.Publish(stateEvent("light.b", "b1")) // e-3 at once
		time.Sleep(time.Second)
		synctest.Wait()
		var got []delivery
		for len(rec.Flushes) > 0 {
			got = append(got, deliveries(0, <-rec.Flushes)...)
		}
		want := []delivery{{0, "e-1", "a1"}, {0, "", "b1"}, {0, "e-2", "a2"}}
		if len(got) != 3 || got[0] != want[0] || got[1] != want[1] || got[2] != want[2] {
			t.Errorf("got %v, want %v: b1 (e-3) passed the held a2 (e-2) and must not carry its id", got, want)
		}

		// Dropped while a2 was held, the client's Last-Event-ID is e-1: a resume replays a2.
		again, err := h.Subscribe(context.Background(), Subscription{ID: "again", User: "u", LastEventID: "e-1"})
		if err != nil {
			t.Fatal(err)
		}
		var replayed []string
		for _, fr := range again.replay {
			replayed = append(replayed, fr.Event.ID)
		}
		if !slicesEqual(replayed, []string{"e-2", "e-3"}) {
			t.Errorf("resume after e-1 replays %v, want [e-2 e-3]", replayed)
		}
	})
}
