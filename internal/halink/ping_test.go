package halink

import (
	"context"
	"errors"
	"log/slog"
	"net"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"hasse/internal/hass"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
)

// TestClientPing runs the client against the simulator over in-memory connections inside a
// synctest bubble, so that pings and timeouts run at their real durations on a fake clock.
func TestClientPing(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		ha := startPipeHA(t)
		cfg := Config{URL: "http://ha.test:8123", Token: "t", ReconnectMin: 3 * time.Second}
		c, err := New(cfg, nil)
		if err != nil {
			t.Fatal(err)
		}
		tr := &http.Transport{DialContext: ha.dial}
		defer tr.CloseIdleConnections()
		c.http = &http.Client{Transport: tr}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error)
		go func() { done <- c.Run(ctx, sinkFunc(func(*hass.Event) {})) }()
		defer func() {
			cancel()
			if err := <-done; err != nil {
				t.Errorf("Run = %v, want nil", err)
			}
		}()

		waitStatus(t, c, "a connection", connected)
		// Pongs keep the connection: an hour of pings later it is the same one. (The fake clock
		// has not moved since the connection was made.)
		time.Sleep(time.Hour + time.Second)
		if st := c.Status(); !st.Connected || st.Connects != 1 {
			t.Fatalf("after an hour of pings: Status() = %+v, want the first connection", st)
		}

		// Home Assistant stops answering: the next ping, 19s later, goes unanswered for
		// PongTimeout.
		stalled := time.Now()
		ha.stall()
		st := waitStatus(t, c, "a pong timeout", func(st Status) bool { return !st.Connected })
		if got, want := time.Since(stalled), 19*time.Second+10*time.Second; !errors.Is(st.LastError, errPongTimeout) || got != want {
			t.Errorf("stalled connection: %v after %v, want a pong timeout after %v", st.LastError, got, want)
		}
		lost := time.Now()
		waitStatus(t, c, "a new connection", connected)
		if got := time.Since(lost); got > cfg.ReconnectMin {
			t.Errorf("reconnected %v after the loss, want the first backoff, at most ReconnectMin %v", got, cfg.ReconnectMin)
		}
	})
}

// startPipeClient runs a Client for ha, inside the caller's bubble, until the test ends.
func startPipeClient(t *testing.T, ha *pipeHA, cfg Config, log *slog.Logger) *Client {
	t.Helper()
	cfg.URL = "http://ha.test:8123"
	c, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	tr := &http.Transport{DialContext: ha.dial}
	c.http = &http.Client{Transport: tr}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error)
	go func() { done <- c.Run(ctx, sinkFunc(func(*hass.Event) {})) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("Run = %v, want nil", err)
		}
		tr.CloseIdleConnections()
	})
	return c
}

// pipeHA is the simulator served over net.Pipe connections, which synctest can see block.
type pipeHA struct {
	sim   *simulator.Simulator
	conns chan net.Conn // server ends of dialled connections, for the server's Accept
	done  chan struct{} // closed when the listener closes

	mu     sync.Mutex
	dialed []*stallConn
}

func startPipeHA(t *testing.T) *pipeHA {
	return startPipeHAWith(t, simulator.Config{Token: "t", Seed: 1, Rate: -1})
}

// startPipeHAWith is startPipeHA with a simulator of cfg.
func startPipeHAWith(t *testing.T, cfg simulator.Config) *pipeHA {
	ha := &pipeHA{conns: make(chan net.Conn), done: make(chan struct{})}
	ha.sim = simtest.Serve(t, cfg, ha)
	return ha
}

// dials returns how many connections the client has made.
func (ha *pipeHA) dials() int {
	ha.mu.Lock()
	defer ha.mu.Unlock()
	return len(ha.dialed)
}

func (ha *pipeHA) dial(ctx context.Context, _, _ string) (net.Conn, error) {
	client, server := net.Pipe()
	select {
	case ha.conns <- fromLoopback{server}:
	case <-ctx.Done():
		return nil, ctx.Err()
	case <-ha.done:
		return nil, net.ErrClosed
	}
	c := &stallConn{Conn: client, stalled: make(chan struct{}), closed: make(chan struct{})}
	ha.mu.Lock()
	defer ha.mu.Unlock()
	ha.dialed = append(ha.dialed, c)
	return c, nil
}

// stall makes every connection dialled so far stop delivering what Home Assistant sends.
func (ha *pipeHA) stall() {
	ha.mu.Lock()
	defer ha.mu.Unlock()
	for _, c := range ha.dialed {
		c.once.Do(func() { close(c.stalled) })
	}
}

func (ha *pipeHA) Accept() (net.Conn, error) {
	select {
	case c := <-ha.conns:
		return c, nil
	case <-ha.done:
		return nil, net.ErrClosed
	}
}

func (ha *pipeHA) Close() error {
	select {
	case <-ha.done:
	default:
		close(ha.done)
	}
	return nil
}

func (ha *pipeHA) Addr() net.Addr { return pipeAddr{} }

// fromLoopback is the server's end of a connection, from 127.0.0.1 as Home Assistant's ban
// sees it.
type fromLoopback struct{ net.Conn }

func (fromLoopback) RemoteAddr() net.Addr {
	return &net.TCPAddr{IP: net.IPv4(127, 0, 0, 1), Port: 50000}
}

type pipeAddr struct{}

func (pipeAddr) Network() string { return "pipe" }
func (pipeAddr) String() string  { return "ha.test:8123" }

// stallConn is the client's end of a connection; once stalled, it reads nothing more until it is
// closed, as when Home Assistant hangs with the TCP connection still open.
type stallConn struct {
	net.Conn
	once      sync.Once
	stalled   chan struct{}
	closeOnce sync.Once
	closed    chan struct{}
}

func (c *stallConn) Read(p []byte) (int, error) {
	n, err := c.Conn.Read(p)
	select {
	case <-c.stalled:
		<-c.closed
		return 0, net.ErrClosed
	default:
		return n, err
	}
}

func (c *stallConn) Close() error {
	c.closeOnce.Do(func() { close(c.closed) })
	return c.Conn.Close()
}
