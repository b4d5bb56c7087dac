// Package reclaim hands the memory a burst of work left behind back to the operating system as
// soon as the process goes quiet, rather than whenever the Go runtime next collects.
//
// The runtime collects when the heap has grown by GOGC percent since the last collection, and
// otherwise only every two minutes; freed pages go back to the system slowly after that. A
// burst (thousands of clients connecting at once, each with a request to parse, a goroutine
// stack and buffers) can therefore leave the heap near twice its live size, resident, for as
// long as the process stays idle: most of what an idle client seems to cost. On a small host
// that shares its memory with Home Assistant, that is memory taken for nothing. A [Reclaimer]
// watches the runtime's own counters and, once much was allocated since the last collection and
// allocation has since nearly stopped, collects and releases the free pages at once.
package reclaim

import (
	"context"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Config says when a pile of garbage is worth releasing. The zero value takes the defaults.
type Config struct {
	Every   time.Duration // how often to look at the runtime's counters; default 1s
	Quiet   time.Duration // how long allocation must have nearly stopped; default 3s
	Spacing time.Duration // the least time between two releases; default 30s
	Garbage uint64        // bytes a release would give back that make it worth it; default 4 MiB
}

func (c Config) withDefaults() Config {
	if c.Every <= 0 {
		c.Every = time.Second
	}
	if c.Quiet <= 0 {
		c.Quiet = 3 * time.Second
	}
	if c.Spacing <= 0 {
		c.Spacing = 30 * time.Second
	}
	if c.Garbage == 0 {
		c.Garbage = 4 << 20
	}
	return c
}

// Reading is what the runtime says at one look.
type Reading struct {
	Allocated uint64 // bytes allocated since the process started
	Heap      uint64 // bytes in heap objects, live or not yet collected
	Live      uint64 // bytes live at the end of the last collection
	Free      uint64 // bytes of free heap pages still resident
}

// Worth is roughly what a collection and a release would give back: the bytes allocated since
// the last collection that the heap still holds, and the free pages not yet returned.
func (r Reading) Worth() uint64 { return r.Heap - min(r.Live, r.Heap) + r.Free }

// Read takes a Reading of this process's runtime.
func Read() Reading {
	s := [...]metrics.Sample{
		{Name: "/gc/heap/allocs:bytes"},
		{Name: "/memory/classes/heap/objects:bytes"},
		{Name: "/gc/heap/live:bytes"},
		{Name: "/memory/classes/heap/free:bytes"},
	}
	metrics.Read(s[:])
	return Reading{Allocated: s[0].Value.Uint64(), Heap: s[1].Value.Uint64(), Live: s[2].Value.Uint64(), Free: s[3].Value.Uint64()}
}

// Reclaimer decides, one look at a time, when to release. It is not safe for concurrent use:
// [Run] owns one.
type Reclaimer struct {
	cfg     Config
	looks   []Reading // the last window looks, oldest first
	window  int       // looks that span Quiet
	spacing int       // looks that span Spacing
	since   int       // looks since the last release
}

// New makes a Reclaimer with cfg's rule.
func New(cfg Config) *Reclaimer {
	cfg = cfg.withDefaults()
	spacing := int(cfg.Spacing / cfg.Every)
	return &Reclaimer{cfg: cfg, window: int(cfg.Quiet/cfg.Every) + 1, spacing: spacing, since: spacing}
}

// Look takes one reading, a Config.Every after the previous one, and reports whether now is
// the time to release: a release would give back at least Garbage bytes ([Reading.Worth]),
// across the last Quiet the process allocated less than an eighth of that, and the last
// release was at least Spacing ago. Steady work does not qualify, since it allocates as fast as
// its garbage grows and the runtime's pacing already serves it; a trickle qualifies at most
// once per Spacing.
func (r *Reclaimer) Look(now Reading) bool {
	r.since++
	r.looks = append(r.looks, now)
	if len(r.looks) > r.window {
		r.looks = append(r.looks[:0], r.looks[1:]...)
	}
	if len(r.looks) < r.window || r.since < r.spacing {
		return false
	}
	worth := now.Worth()
	recent := now.Allocated - r.looks[0].Allocated
	if worth < r.cfg.Garbage || recent >= worth/8 {
		return false
	}
	r.since = 0
	return true
}

// Run looks at this process's runtime every cfg.Every until ctx ends, and collects and returns
// the free memory to the operating system (debug.FreeOSMemory) whenever [Reclaimer.Look] says
// so. It is meant to run once per process.
func Run(ctx context.Context, cfg Config) {
	r := New(cfg)
	tick := time.NewTicker(r.cfg.Every)
	defer tick.Stop()
	for {
		select {
		case <-tick.C:
			if r.Look(Read()) {
				debug.FreeOSMemory()
			}
		case <-ctx.Done():
			return
		}
	}
}
