package limit

import (
	"sync"
	"time"

	"golang.org/x/time/rate"
)

// Config sets a Limiter's allowance: Requests per Window for each key, which may all come at
// once (a burst of Requests).
type Config struct {
	Requests int           // required, at least 1
	Window   time.Duration // required
}

// Limiter is a token bucket per key. It is safe for concurrent use; its mutex guards only the
// map, for a few lines.
type Limiter struct {
	every     rate.Limit
	burst     int
	idle      time.Duration // a key untouched this long has a full bucket again: forget it
	mu        sync.Mutex
	keys      map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	lim  *rate.Limiter
	last time.Time
}

// New returns a Limiter for cfg.
func New(cfg Config) *Limiter {
	return &Limiter{
		every: rate.Limit(float64(cfg.Requests) / cfg.Window.Seconds()),
		burst: cfg.Requests,
		idle:  cfg.Window,
		keys:  make(map[string]*bucket),
	}
}

// Allow takes one request of key at now. When the key is over its allowance it returns false and
// how long until a request would be allowed.
func (l *Limiter) Allow(key string, now time.Time) (ok bool, retryAfter time.Duration) {
	return l.AllowN(key, 1, now)
}

// AllowN takes n requests of key at now, all or none: a JSON-RPC batch of n messages costs what n
// requests cost. When the key cannot take n it returns false, takes nothing, and says how long
// until it could; n over the allowance itself is refused with the whole window.
func (l *Limiter) AllowN(key string, n int, now time.Time) (ok bool, retryAfter time.Duration) {
	if n > l.burst {
		return false, l.idle
	}
	l.mu.Lock()
	l.sweep(now)
	b := l.keys[key]
	if b == nil {
		b = &bucket{lim: rate.NewLimiter(l.every, l.burst)}
		l.keys[key] = b
	}
	b.last = now
	r := b.lim.ReserveN(now, n)
	l.mu.Unlock()
	if d := r.DelayFrom(now); d > 0 {
		r.CancelAt(now)
		return false, d
	}
	return true, 0
}

// Len returns the number of keys held.
func (l *Limiter) Len() int {
	l.mu.Lock()
	defer l.mu.Unlock()
	return len(l.keys)
}

// sweep forgets, at most once per idle period, the keys untouched for one; l.mu is held.
func (l *Limiter) sweep(now time.Time) {
	if now.Sub(l.lastSweep) < l.idle {
		return
	}
	l.lastSweep = now
	for k, b := range l.keys {
		if now.Sub(b.last) >= l.idle {
			delete(l.keys, k)
		}
	}
}
