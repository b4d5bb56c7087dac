//go:build realha

package realha

import (
	"context"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"hasse/internal/hatest"
	"hasse/internal/testwait"
)

// cutter forwards TCP connections to a target until cut closes every one of them at once, as a
// dying middlebox or a pulled cable would.
type cutter struct {
	ln     net.Listener
	target string
	wg     sync.WaitGroup

	mu       sync.Mutex
	conns    map[net.Conn]bool // both ends of every open forwarded connection
	accepted int               // connections forwarded so far
	blocked  bool              // refuse new connections: the link stays down
	limit    *rate.Limiter     // bytes per second from the target, shared by all connections; nil: no limit
}

func startCutter(t *testing.T, target string) *cutter {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &cutter{ln: ln, target: target, conns: map[net.Conn]bool{}}
	c.wg.Go(c.accept)
	t.Cleanup(func() { ln.Close(); c.cut(); c.wg.Wait() })
	return c
}

func (c *cutter) accept() {
	for {
		client, err := c.ln.Accept()
		if err != nil {
			return
		}
		c.mu.Lock()
		blocked := c.blocked
		c.mu.Unlock()
		if blocked {
			client.Close()
			continue
		}
		server, err := net.Dial("tcp", c.target)
		if err != nil {
			client.Close()
			continue
		}
		c.mu.Lock()
		c.conns[client], c.conns[server] = true, true
		c.accepted++
		c.mu.Unlock()
		for _, pipe := range [][2]net.Conn{{client, server}, {server, client}} {
			c.wg.Go(func() {
				if pipe[1] == server && c.limit != nil {
					_, _ = io.Copy(pipe[0], &slowReader{r: server, limit: c.limit})
				} else {
					_, _ = io.Copy(pipe[0], pipe[1])
				}
				c.mu.Lock()
				delete(c.conns, client)
				delete(c.conns, server)
				c.mu.Unlock()
				client.Close()
				server.Close()
			})
		}
	}
}

// slowReader reads no faster than its limiter allows: a slow link.
type slowReader struct {
	r     io.Reader
	limit *rate.Limiter
}

func (s *slowReader) Read(p []byte) (int, error) {
	if len(p) > s.limit.Burst() {
		p = p[:s.limit.Burst()]
	}
	n, err := s.r.Read(p)
	if n > 0 {
		_ = s.limit.WaitN(context.Background(), n)
	}
	return n, err
}

// throttle limits what the cutter forwards from its target to bytesPerSecond, for connections
// made from now on.
func (c *cutter) throttle(bytesPerSecond int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.limit = rate.NewLimiter(rate.Limit(bytesPerSecond), 32<<10)
}

// block refuses new connections until unblock, so that a cut keeps the link down.
func (c *cutter) block(on bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.blocked = on
}

// connections is how many connections the cutter has forwarded.
func (c *cutter) connections() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.accepted
}

// cut closes both ends of every forwarded connection and says how many it cut.
func (c *cutter) cut() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for conn := range c.conns {
		conn.Close()
	}
	n := len(c.conns) / 2
	clear(c.conns)
	return n
}

// busy changes states of the home through its REST API until the returned stop is called.
func busy(t *testing.T, h *hatest.Home) (stop func()) {
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	wg.Go(func() {
		rng := rand.New(rand.NewPCG(uint64(time.Now().UnixNano()), 2))
		toggles := []string{"input_boolean.kitchen_presence", "input_boolean.guest_mode", "light.living_room", "switch.coffee_machine"}
		for ctx.Err() == nil {
			var err error
			if rng.IntN(2) == 0 {
				err = h.CallService(ctx, "homeassistant", "toggle", map[string]any{"entity_id": toggles[rng.IntN(len(toggles))]})
			} else {
				err = h.CallService(ctx, "input_number", "set_value", map[string]any{
					"entity_id": "input_number.living_room_temperature", "value": float64(150+rng.IntN(100)) / 10})
			}
			if err != nil && ctx.Err() == nil {
				t.Errorf("driving the home: %v", err)
				return
			}
			time.Sleep(time.Duration(20+rng.IntN(80)) * time.Millisecond) // the home's pace, not a timing assertion
		}
	})
	return func() { cancel(); wg.Wait() }
}

// viewsEqualTruth waits until every view equals Home Assistant's states in the keys fields names
// (all when none; they differ while the heartbeat's events are on their way), failing the test
// with the last difference after limit.
func viewsEqualTruth(t *testing.T, h *hatest.Home, limit time.Duration, views map[*view]func(hatest.State) bool, fields ...string) {
	t.Helper()
	deadline := time.Now().Add(limit)
	for {
		truth, err := h.States(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		var diffs []string
		for v, keep := range views {
			if d := v.diff(truth, keep, fields...); d != "" {
				diffs = append(diffs, fmt.Sprintf("%s (-HA +view):\n%s", v.name, d))
			}
		}
		if len(diffs) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("views differ from Home Assistant's states after %v:\n%s", limit, strings.Join(diffs, "\n"))
		}
		time.Sleep(200 * time.Millisecond) // polling real processes, not a timing assertion
	}
}

// The link to a running Home Assistant is cut five times while the home is busy: each cut is one
// outage and one gap for every client, no entity is ever said to be removed, and every client's
// view ends equal to Home Assistant's states.
func TestLinkCutsWithHomeAssistantUp(t *testing.T) {
	proxy := startCutter(t, strings.TrimPrefix(home.URL, "http://"))
	s := serveAt(t, "http://"+proxy.ln.Addr().String(), home.Owner.Token)
	s.waitConnected(t, 30*time.Second)
	lights := func(st hatest.State) bool { return strings.HasPrefix(st.EntityID, "light.") }
	views := map[*view]func(hatest.State) bool{
		watch(t, s, "envelope", "", home.Owner.Token):           all,
		watch(t, s, "named", "format=named", home.Owner.Token):  all,
		watch(t, s, "lights", "domain=light", home.Owner.Token): lights,
	}
	stop := busy(t, home)
	defer stop()
	const cuts = 5
	for i := 1; i <= cuts; i++ {
		time.Sleep(time.Duration(300+rand.IntN(700)) * time.Millisecond) // let events flow between cuts
		if n := proxy.cut(); n == 0 {
			t.Fatalf("cut %d: no connection to cut", i)
		}
		testwait.Gently(t, 60*time.Second, fmt.Sprintf("every client's gap after cut %d", i), func() bool {
			for v := range views {
				if gaps, _ := v.counts(); gaps < i {
					return false
				}
			}
			return true
		})
	}
	stop()
	viewsEqualTruth(t, home, 30*time.Second, views, promised...)
	for v := range views {
		gaps, outages := v.counts()
		if gaps != cuts || outages != cuts {
			t.Errorf("%s: %d gaps and %d outages for %d cuts", v.name, gaps, outages, cuts)
		}
		if len(v.removed) > 0 {
			t.Errorf("%s: told that %v were removed", v.name, v.removed)
		}
	}
}
