package halink

import (
	"sync"
	"sync/atomic"
	"time"
)

// Status describes the link to Home Assistant, for /health, /ready and metrics.
type Status struct {
	// Connected reports an authenticated connection subscribed to events.
	Connected bool
	// Starting reports a connection to a Home Assistant that is still starting: its events flow,
	// its states are read once it has started.
	Starting bool
	// HAVersion is Home Assistant's version, from auth_ok of the last connection; "" before one.
	HAVersion string
	// Since is when the link last came up or went down; zero before either.
	Since time.Time
	// Connects counts connections made so far; Connects-1 of them were reconnects.
	Connects int
	// LastEventAt is when the last event was read; zero before the first.
	LastEventAt time.Time
	// LastError is why the link last went down (wrapping [ErrAuthInvalid] when the token was
	// refused, [ErrBanned] when hasse's address is banned), nil before that and after Run ended.
	LastError error
	// RetryAt is when the next connection attempt is due, while the link is down after a
	// failure; zero otherwise.
	RetryAt time.Time
}

// Status returns the state of the link to Home Assistant.
func (c *Client) Status() Status {
	st, _ := c.Watch()
	return st
}

// Watch returns the state of the link to Home Assistant and a channel closed when the link
// next comes up or goes down (LastEventAt aside), so that a caller can wait for a change
// without polling: the tests of halink, auth and the bench's fake Home Assistant wait on it,
// inside synctest bubbles too, where a poll's sleep would wait on fake time.
func (c *Client) Watch() (Status, <-chan struct{}) {
	return c.link.get()
}

// link is the Status of the connection, as the goroutine running [Client.Run] and its sessions
// set it.
type link struct {
	mu      sync.Mutex
	st      Status        // but LastEventAt
	changed chan struct{} // closed and replaced on every change

	lastEvent atomic.Int64 // Unix nanoseconds of the last event read; 0 before any (no lock: every event sets it)
}

func (l *link) get() (Status, <-chan struct{}) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.changed == nil {
		l.changed = make(chan struct{})
	}
	st := l.st
	if n := l.lastEvent.Load(); n != 0 {
		st.LastEventAt = time.Unix(0, n)
	}
	return st, l.changed
}

// event records that an event was read at t. Watchers are not woken.
func (l *link) event(t time.Time) { l.lastEvent.Store(t.UnixNano()) }

// notify wakes the watchers; l.mu is held.
func (l *link) notify() {
	if l.changed != nil {
		close(l.changed)
		l.changed = nil
	}
}

// up records a connection to Home Assistant version, which may still be starting.
func (l *link) up(version string, starting bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st.Connected, l.st.HAVersion, l.st.Since, l.st.LastError, l.st.RetryAt = true, version, time.Now(), nil, time.Time{}
	l.st.Starting = starting
	l.st.Connects++
	l.notify()
}

// started records that Home Assistant has started and its states were read.
func (l *link) started() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.st.Starting = false
	l.notify()
}

// down records that there is no connection, because of err, and when the next attempt is due.
func (l *link) down(err error, retryAt time.Time) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.st.Connected || l.st.Since.IsZero() {
		l.st.Since = time.Now()
	}
	l.st.Connected, l.st.Starting, l.st.LastError, l.st.RetryAt = false, false, err, retryAt
	l.notify()
}
