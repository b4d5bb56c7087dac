package cluster

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/testredis"
)

// gatedHub records what the reader hands it; its first event from the stream waits until the
// gate opens.
type gatedHub struct {
	gate    chan struct{}
	once    sync.Once
	mu      sync.Mutex
	follows int // Resets
	appends int // events from the stream
}

func (g *gatedHub) Reset(string, format.Gap, []hass.State) {
	g.mu.Lock()
	g.follows++
	g.mu.Unlock()
}

func (g *gatedHub) Publish(ev *hass.Event) {
	if ev.ID == "" {
		return // the leader's local delivery
	}
	g.once.Do(func() { <-g.gate })
	g.mu.Lock()
	g.appends++
	g.mu.Unlock()
}

func (g *gatedHub) counts() (follows, appends int) {
	g.mu.Lock()
	defer g.mu.Unlock()
	return g.follows, g.appends
}

func (g *gatedHub) Gap(string, format.Gap) {}
func (g *gatedHub) Connected([]hass.State) {}
func (g *gatedHub) Disconnected()          {}

// TestTrimmedUnreadEntriesBecomeAGap: a reader held up (by a hub that does not take its events,
// once the feeder's buffer is full) while the stream is trimmed past what it has read takes the stream up again with a Reset, which gives its clients a gap, rather than
// skipping the lost entries silently.
func TestTrimmedUnreadEntriesBecomeAGap(t *testing.T) {
	r := testredis.Start(t)
	g := &gatedHub{gate: make(chan struct{})}
	sink := runLeader(t, Config{URL: r.URL(), Instance: "trim", MaxLen: 1000, Block: 100 * time.Millisecond}, g)
	ev := benchEvent()
	sink.Publish(ev.clone())       // the reader takes this one and waits at the gate
	const more = feedBuffer + 5000 // what the feeder holds, and five times what the stream keeps
	for range more {
		sink.Publish(ev.clone())
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	deadline := time.Now().Add(waitLimit)
	for { // polling the real Redis until the leader has written everything
		info, err := rdb.XInfoStream(context.Background(), "hasse:stream").Result()
		if err == nil && info.EntriesAdded >= more+1 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("the stream never got %d entries: %v %v", more+1, info, err)
		}
		time.Sleep(10 * time.Millisecond)
	}
	followsBefore, _ := g.counts()
	close(g.gate)
	for { // polling until the reader has noticed
		if f, _ := g.counts(); f > followsBefore {
			break
		}
		if time.Now().After(deadline) {
			_, a := g.counts()
			t.Fatalf("no Reset after the stream was trimmed past the reader (%d appends): the entries were skipped unannounced", a)
		}
		time.Sleep(10 * time.Millisecond)
	}
}
