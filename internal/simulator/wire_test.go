package simulator

import (
	"context"
	"hasse/internal/pipenet"
	"log/slog"
	"net/http"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/coder/websocket"
)

// These tests run the simulator over in-memory connections inside a synctest bubble, so that
// stalls, heartbeats and periodic faults run at their real durations on a fake clock.

// pipeSim logs clients in to a simulator served over pipes.
type pipeSim struct {
	t  *testing.T
	tr *http.Transport
}

// startPipeSim runs a simulator (no activity) served over pipes until the test ends, and returns
// it with a function that logs a client in with token.
func startPipeSim(t *testing.T, cfg Config) (*Simulator, func(token string, opts *websocket.DialOptions) *client) {
	s, p := startPipeSimulator(t, cfg)
	return s, p.login
}

// startPipeSimulator is startPipeSim for tests that also try logins that fail.
func startPipeSimulator(t *testing.T, cfg Config) (*Simulator, *pipeSim) {
	cfg.Token, cfg.UserToken, cfg.Rate = adminToken, userToken, -1
	s, err := New(cfg, slog.New(slog.DiscardHandler))
	if err != nil {
		t.Fatal(err)
	}
	l := pipenet.Listen()
	srv := &http.Server{Handler: s}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() { _ = s.Run(ctx) })
	wg.Go(func() { _ = srv.Serve(l) })
	tr := &http.Transport{DialContext: l.DialContext}
	t.Cleanup(func() {
		cancel()
		_ = srv.Close()
		wg.Wait()
		tr.CloseIdleConnections()
	})
	return s, &pipeSim{t: t, tr: tr}
}

// login logs a client in with token and checks that it was let in.
func (p *pipeSim) login(token string, opts *websocket.DialOptions) *client {
	p.t.Helper()
	c := p.try(token, opts)
	if got := c.next(); got["type"] != "auth_ok" {
		p.t.Fatalf("auth: %v", got)
	}
	return c
}

// try dials the simulator with opts, sends an auth message with token, and returns the
// connection with the reply unread.
func (p *pipeSim) try(token string, opts *websocket.DialOptions) *client {
	t := p.t
	t.Helper()
	if opts == nil {
		opts = &websocket.DialOptions{}
	}
	opts.HTTPClient = &http.Client{Transport: p.tr}
	ws, _, err := websocket.Dial(context.Background(), "ws://ha.test:8123/api/websocket", opts)
	if err != nil {
		t.Fatalf("dial: %v", err)
	}
	t.Cleanup(func() { _ = ws.CloseNow() })
	c := &client{t: t, ws: ws}
	c.next() // auth_required
	c.sendJSON(map[string]any{"type": "auth", "access_token": token})
	return c
}

// readAll reads c in the background (so that pings are answered) until it fails; the channel
// gets each message, then is closed; errc gets the final error.
func readAll(c *client) (msgs <-chan []byte, errc <-chan error) {
	out, ec := make(chan []byte, 64), make(chan error, 1)
	go func() {
		defer close(out)
		for {
			_, data, err := c.ws.Read(context.Background())
			if err != nil {
				ec <- err
				return
			}
			out <- data
		}
	}()
	return out, ec
}

// TestStall checks a half-open connection: nothing is answered for the stall's length, not a
// command, not a protocol ping, and everything flows again after it, in order.
func TestStall(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, login := startPipeSim(t, Config{})
		c := login(adminToken, nil)
		c.subscribe(1, "state_changed")
		other := login(userToken, nil)
		_ = other.ws.CloseRead(context.Background()) // reads in the background: pongs reach Ping

		s.Stall(8 * time.Second)
		start := time.Now()
		c.send(`{"id":2,"type":"ping"}`)
		s.SetState("sensor.during_stall", "1", nil)
		pctx, cancel := context.WithTimeout(context.Background(), 3*time.Second)
		err := other.ws.Ping(pctx)
		cancel()
		if err == nil || time.Since(start) != 3*time.Second {
			t.Errorf("protocol ping during the stall: %v after %v, want no pong within 3s", err, time.Since(start))
		}
		ev := c.next()
		if got := time.Since(start); got != 8*time.Second || ev["type"] != "event" {
			t.Errorf("first message %v after %v, want the event after the 8s stall", ev, got)
		}
		if pong := c.next(); pong["type"] != "pong" {
			t.Errorf("then %v, want the pong", pong)
		}
		pctx, cancel = context.WithTimeout(context.Background(), 3*time.Second)
		defer cancel()
		if err := other.ws.Ping(pctx); err != nil {
			t.Errorf("protocol ping after the stall: %v", err)
		}

		s.Stall(0) // for good: Run's end must still end the connections and their goroutines
		c.send(`{"id":3,"type":"ping"}`)
		s.SetState("sensor.during_stall", "2", nil)
		time.Sleep(time.Hour)
		synctest.Wait()
		if n := connections(s); n != 2 {
			t.Errorf("%d connections after an hour stalled, want both still open", n)
		}
	})
}

// TestHeartbeat checks HA's protocol ping: sent after 55s without a frame from the client, its
// spell restarted by any frame, and a connection whose pong does not come within 27.5s closed.
func TestHeartbeat(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s, login := startPipeSim(t, Config{})
		pings := make(chan time.Duration, 8)
		start := time.Now()
		opts := &websocket.DialOptions{OnPingReceived: func(context.Context, []byte) bool {
			pings <- time.Since(start)
			return true
		}}
		c := login(adminToken, opts)
		start = time.Now()
		msgs, _ := readAll(c)
		time.Sleep(30 * time.Second)
		c.send(`{"id":1,"type":"ping"}`) // restarts the quiet spell
		<-msgs
		for i, want := range []time.Duration{85 * time.Second, 140 * time.Second} {
			if got := <-pings; got != want {
				t.Errorf("ping %d after %v, want %v", i+1, got, want)
			}
		}

		deaf := login(userToken, &websocket.DialOptions{ // reads, but never answers a ping
			OnPingReceived: func(context.Context, []byte) bool { return false },
		})
		readAll(deaf)
		quiet := time.Now()
		time.Sleep(55*time.Second + 27*time.Second)
		synctest.Wait()
		if n := connections(s); n != 2 {
			t.Errorf("%d connections 82s after the deaf client's last frame, want 2", n)
		}
		time.Sleep(time.Second)
		synctest.Wait()
		if n := connections(s); n != 1 {
			t.Errorf("%d connections %v after the deaf client's last frame, want 1", n, time.Since(quiet))
		}
	})
}

// TestPeriodicFaults checks Config.DropEvery and Config.RestartEvery.
func TestPeriodicFaults(t *testing.T) {
	for _, tc := range []struct {
		name   string
		cfg    Config
		status websocket.StatusCode
	}{
		{"DropEvery", Config{DropEvery: time.Minute}, -1},
		{"RestartEvery", Config{RestartEvery: time.Minute}, websocket.StatusNormalClosure},
	} {
		t.Run(tc.name, func(t *testing.T) {
			synctest.Test(t, func(t *testing.T) {
				start := time.Now() // Run starts its ticker now: the fake clock moves only when all wait
				_, login := startPipeSim(t, tc.cfg)
				time.Sleep(20 * time.Second)
				c := login(adminToken, nil)
				_, errc := readAll(c)
				var err error
				select {
				case err = <-errc:
				case <-time.After(2 * time.Minute):
					t.Fatal("connection still open after 2m")
				}
				if websocket.CloseStatus(err) != tc.status || time.Since(start) != time.Minute {
					t.Errorf("ended by %v after %v, want close status %v after 1m", err, time.Since(start), tc.status)
				}
				login(adminToken, nil) // served again
			})
		})
	}
}
