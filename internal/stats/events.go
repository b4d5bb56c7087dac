package stats

import (
	"sync/atomic"

	"hasse/internal/hass"
)

// Sink is what takes the events read from Home Assistant, in order: the Home Assistant link's
// sink (halink.Sink has the same methods), defined here so that the statistics need no network code.
type Sink interface {
	Publish(ev *hass.Event)
	Connected(states []hass.State)
	Disconnected()
}

// Sink returns a Sink that counts the events of each type and hands everything on to next.
// Counting takes a lock-free map lookup and an atomic add per event.
func (c *Collector) Sink(next Sink) Sink { return countingSink{c, next} }

type countingSink struct {
	c *Collector
	Sink
}

func (s countingSink) Publish(ev *hass.Event) {
	s.c.countType(ev.Type)
	s.Sink.Publish(ev)
}

// maxTypes bounds the event types counted apart; the rest are counted as "other".
const maxTypes = 500

func (c *Collector) countType(typ string) {
	n, ok := c.byType.Load(typ)
	if !ok {
		if c.types.Add(1) > maxTypes {
			typ = "other"
		}
		var loaded bool
		if n, loaded = c.byType.LoadOrStore(typ, new(atomic.Int64)); loaded {
			c.types.Add(-1)
		}
	}
	n.(*atomic.Int64).Add(1)
}

// EventsByType returns how many events of each type were read from Home Assistant.
func (c *Collector) EventsByType() map[string]int64 {
	out := make(map[string]int64)
	c.byType.Range(func(k, v any) bool {
		out[k.(string)] = v.(*atomic.Int64).Load()
		return true
	})
	return out
}
