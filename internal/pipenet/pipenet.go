// Package pipenet is an in-memory network for tests: an HTTP server and its clients talk over
// net.Pipe, so that both can run inside a synctest bubble, on its fake clock. Each connection
// has loopback addresses, as one over TCP on 127.0.0.1 would: the server listens on port 80,
// and each client gets a port of its own.
package pipenet

import (
	"context"
	"net"
	"sync"
	"sync/atomic"
)

// Listener accepts the server ends of the connections its DialContext makes.
type Listener struct {
	conns chan net.Conn
	done  chan struct{}
	once  sync.Once
	ports atomic.Int32 // the last client port given out
}

// Listen returns a Listener; close it when done.
func Listen() *Listener {
	return &Listener{conns: make(chan net.Conn), done: make(chan struct{})}
}

// Accept returns the server end of the next connection dialled, or net.ErrClosed once closed.
func (l *Listener) Accept() (net.Conn, error) {
	select {
	case c := <-l.conns:
		return c, nil
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// Close ends Accept.
func (l *Listener) Close() error { l.once.Do(func() { close(l.done) }); return nil }

// Addr is the loopback address the listener seems to listen on.
func (l *Listener) Addr() net.Addr { return serverAddr }

// DialContext connects to the listener, whatever network and address are asked: use it as an
// http.Transport's DialContext.
func (l *Listener) DialContext(ctx context.Context, _, _ string) (net.Conn, error) {
	c, srv := net.Pipe()
	clientAddr := &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 40000 + int(l.ports.Add(1))}
	client := conn{c, clientAddr, serverAddr}
	server := conn{srv, serverAddr, clientAddr}
	select {
	case l.conns <- server:
		return client, nil
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-l.done:
		return nil, net.ErrClosed
	}
}

// serverAddr is the address the listener seems to listen on.
var serverAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 80}

// conn is one end of a pipe, with the addresses of a loopback TCP connection.
type conn struct {
	net.Conn
	local, remote net.Addr
}

func (c conn) LocalAddr() net.Addr  { return c.local }
func (c conn) RemoteAddr() net.Addr { return c.remote }
