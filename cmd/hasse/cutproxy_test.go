package main

import (
	"io"
	"net"
	"sync"
	"testing"
)

// cutProxy forwards TCP connections to target until cut closes all of them at once.
type cutProxy struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]bool // both sides of every open proxied connection
	accepted int
	closed   bool // by the test's cleanup: cut what is still being dialled too
}

func startCutProxy(t *testing.T, target string) *cutProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &cutProxy{ln: ln, target: target, conns: map[net.Conn]bool{}}
	p.wg.Go(p.accept)
	t.Cleanup(func() {
		ln.Close()
		p.mu.Lock()
		p.closed = true
		p.mu.Unlock()
		p.cut()
		p.wg.Wait()
	})
	return p
}

func (p *cutProxy) accept() {
	for {
		client, err := p.ln.Accept()
		if err != nil {
			return
		}
		server, err := net.Dial("tcp", p.target)
		if err != nil {
			client.Close()
			continue
		}
		p.mu.Lock()
		p.accepted++
		p.conns[client], p.conns[server] = true, true
		if p.closed {
			client.Close()
			server.Close()
		}
		p.mu.Unlock()
		for _, pipe := range [][2]net.Conn{{client, server}, {server, client}} {
			p.wg.Go(func() {
				_, _ = io.Copy(pipe[0], pipe[1])
				// One direction ended: end the connection, as a dying middlebox would.
				p.mu.Lock()
				delete(p.conns, client)
				delete(p.conns, server)
				p.mu.Unlock()
				client.Close()
				server.Close()
			})
		}
	}
}

// cut closes both sides of every proxied connection and returns how many connections it cut.
func (p *cutProxy) cut() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		c.Close()
	}
	n := len(p.conns) / 2
	clear(p.conns)
	return n
}
