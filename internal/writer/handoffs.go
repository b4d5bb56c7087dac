package writer

import "sync"

// handoffs counts the hijacked streams a Writer has yet to hand to its pool or finish writing
// itself. Unlike a sync.WaitGroup it may be entered while someone waits: once closing has
// begun, enter refuses, so no stream is hijacked that nothing would wait for.
type handoffs struct {
	mu      sync.Mutex
	n       int
	closing bool
	idle    chan struct{} // made by close, closed once closing and n is zero
}

// enter counts one more stream, or reports false once close has begun.
func (h *handoffs) enter() bool {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.closing {
		return false
	}
	h.n++
	return true
}

// leave counts one stream fewer.
func (h *handoffs) leave() {
	h.mu.Lock()
	defer h.mu.Unlock()
	h.n--
	if h.closing && h.n == 0 {
		close(h.idle)
	}
}

// close refuses every later enter and waits until each stream entered has left.
func (h *handoffs) close() {
	h.mu.Lock()
	if !h.closing {
		h.closing = true
		h.idle = make(chan struct{})
		if h.n == 0 {
			close(h.idle)
		}
	}
	idle := h.idle
	h.mu.Unlock()
	<-idle
}
