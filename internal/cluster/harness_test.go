package cluster

import (
	"context"
	"encoding/json"
	"io"
	"log/slog"
	"os"
	"sync"
	"testing"
	"time"

	"github.com/redis/go-redis/v9"
	sse "github.com/tmaxmax/go-sse"
	"go.uber.org/goleak"

	"hasse/internal/format"
	"hasse/internal/halink"
	"hasse/internal/hub"
	"hasse/internal/simulator"
	"hasse/internal/simulator/simtest"
	"hasse/internal/testredis"
	"hasse/internal/writer"
)

func TestMain(m *testing.M) {
	redis.SetLogger(RedisLog{testLog()})
	goleak.VerifyTestMain(m)
}

// waitLimit bounds every wait of these tests; reaching it fails the test.
const waitLimit = 20 * time.Second

// testLog is quiet unless HASSE_TEST_LOG is set.
func testLog() *slog.Logger {
	if os.Getenv("HASSE_TEST_LOG") != "" {
		return slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelDebug}))
	}
	return slog.New(slog.DiscardHandler)
}

// home is the simulator on a real port, with no activity of its own: tests step it.
type home struct {
	sim *simulator.Simulator
	url string
}

func startHome(t *testing.T) *home {
	t.Helper()
	h := simtest.Start(t, simulator.Config{Token: "t", Seed: 7, Rate: -1})
	return &home{sim: h.Simulator, url: h.URL}
}

// instance is one gateway's hub and Node, reading the home while it leads.
type instance struct {
	name string
	hub  *hub.Hub
	node *Node
	stop context.CancelFunc
	done chan struct{}
}

// testConfig is the Node's config at test scale: a lease of one second.
func testConfig(url, name string) Config {
	return Config{URL: url, Instance: name, Lease: time.Second, Block: 200 * time.Millisecond, Retry: 50 * time.Millisecond}
}

// startInstance runs a hub and a Node against redis and the home until stopped or the test ends.
func startInstance(t *testing.T, r *testredis.Server, hm *home, name string, hcfg hub.Config) *instance {
	t.Helper()
	return startInstanceWith(t, testConfig(r.URL(), name), hm, hcfg)
}

func startInstanceWith(t *testing.T, cfg Config, hm *home, hcfg hub.Config) *instance {
	t.Helper()
	log := testLog().With("instance", cfg.Instance)
	node, err := New(cfg, log)
	if err != nil {
		t.Fatal(err)
	}
	hcfg.History = node
	h, err := hub.New(hcfg, log)
	if err != nil {
		t.Fatal(err)
	}
	ha, err := halink.New(halink.Config{URL: hm.url, Token: "t", ReconnectMin: 10 * time.Millisecond, ReconnectMax: 100 * time.Millisecond}, log)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	in := &instance{name: cfg.Instance, hub: h, node: node, stop: cancel, done: make(chan struct{})}
	var wg sync.WaitGroup
	wg.Go(func() { _ = h.Run(ctx) })
	wg.Go(func() {
		_ = node.Run(ctx, Local{Hub: h, Ingest: func(ctx context.Context, s Sink) error { return ha.Run(ctx, s) }, Link: func() Link {
			st := ha.Status()
			return Link{Connected: st.Connected, Version: st.HAVersion}
		}})
	})
	go func() { wg.Wait(); close(in.done) }()
	t.Cleanup(in.kill)
	return in
}

// kill stops the instance and waits until it has.
func (in *instance) kill() {
	in.stop()
	<-in.done
}

// waitLeader waits until one of the instances leads and returns it.
func waitLeader(t *testing.T, ins ...*instance) *instance {
	t.Helper()
	deadline := time.Now().Add(waitLimit)
	for time.Now().Before(deadline) {
		for _, in := range ins {
			if st := in.node.Status(); st.Leading && st.Connected {
				return in
			}
		}
		time.Sleep(10 * time.Millisecond) // polling the nodes' state, not a timing assertion
	}
	t.Fatal("no instance leads")
	return nil
}

// client is one subscriber of a hub, its stream parsed as SSE.
type client struct {
	c      *hub.Client
	events chan sse.Event
	cancel context.CancelFunc
}

// subscribe opens a client on in's hub and reads its stream.
func subscribe(t *testing.T, in *instance, sub hub.Subscription) *client {
	t.Helper()
	if sub.ID == "" {
		sub.ID = "c" + time.Now().Format("150405.000000000")
	}
	sub.User = sub.ID
	c, err := in.hub.Subscribe(context.Background(), sub)
	if err != nil {
		t.Fatalf("subscribe on %s: %v", in.name, err)
	}
	return read(t, c)
}

// read streams c, parsing what it writes as SSE, until the test ends or the client is closed.
func read(t *testing.T, c *hub.Client) *client {
	pr, pw := io.Pipe()
	ctx, cancel := context.WithCancel(context.Background())
	cl := &client{c: c, events: make(chan sse.Event, 100000), cancel: cancel}
	var wg sync.WaitGroup
	wg.Go(func() {
		_ = writer.Stream(ctx, c, pipeOutput{pw})
		c.Close()
		pw.Close()
	})
	wg.Go(func() {
		defer close(cl.events)
		for ev, err := range sse.Read(pr, &sse.ReadConfig{MaxEventSize: 1 << 20}) {
			if err != nil {
				return
			}
			cl.events <- ev
		}
	})
	t.Cleanup(func() { cancel(); pr.Close(); wg.Wait() })
	return cl
}

// close ends the client's stream, as a client that goes away.
func (cl *client) close() { cl.cancel() }

type pipeOutput struct{ w *io.PipeWriter }

func (p pipeOutput) Write(b []byte) (int, error)    { return p.w.Write(b) }
func (pipeOutput) Flush() error                     { return nil }
func (pipeOutput) SetWriteDeadline(time.Time) error { return nil }

// next returns the client's next event; false when the stream ended or none came within waitLimit.
func (cl *client) next(t *testing.T) (sse.Event, bool) {
	t.Helper()
	select {
	case ev, ok := <-cl.events:
		return ev, ok
	case <-time.After(waitLimit):
		return sse.Event{}, false
	}
}

// until reads events until one is about entity in the given state, and returns what it read
// (that one included). It fails the test when none comes.
func (cl *client) until(t *testing.T, entity, state string) []sse.Event {
	t.Helper()
	var got []sse.Event
	for {
		ev, ok := cl.next(t)
		if !ok {
			t.Fatalf("stream ended, or no event for %s %s within %v; read %d events", entity, state, waitLimit, len(got))
		}
		got = append(got, ev)
		if e := envelopeOf(ev); e.EntityID == entity && e.State == state {
			return got
		}
	}
}

// envelope is what these tests read of an envelope-format event.
type envelope struct {
	ID       string          `json:"id"`
	Type     string          `json:"type"`
	Reason   string          `json:"reason"`
	EntityID string          `json:"entity_id"`
	State    string          `json:"state"`
	Origin   string          `json:"origin"`
	Data     json.RawMessage `json:"data"`
}

func envelopeOf(ev sse.Event) envelope {
	var e envelope
	_ = json.Unmarshal([]byte(ev.Data), &e)
	return e
}

// idsOf returns the ids of the data events among evs.
func idsOf(evs []sse.Event) []string {
	var out []string
	for _, ev := range evs {
		if ev.LastEventID != "" && envelopeOf(ev).ID != "" {
			out = append(out, ev.LastEventID)
		}
	}
	return out
}

// gapsOf returns the reasons of the gap events among evs.
func gapsOf(evs []sse.Event) []format.Gap {
	var out []format.Gap
	for _, ev := range evs {
		if e := envelopeOf(ev); e.Type == "gap" {
			out = append(out, format.Gap(e.Reason))
		}
	}
	return out
}

// runLeader runs a Node that leads with an ingest of its own, feeding h, until the test ends, and
// returns the Sink its session publishes to, as Home Assistant's client would.
func runLeader(tb testing.TB, cfg Config, h Hub) Sink {
	tb.Helper()
	n, err := New(cfg, testLog())
	if err != nil {
		tb.Fatal(err)
	}
	sinks := make(chan Sink, 1)
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		_ = n.Run(ctx, Local{Hub: h, Ingest: func(ctx context.Context, sink Sink) error {
			sink.Connected(nil)
			sinks <- sink
			<-ctx.Done()
			return nil
		}})
	}()
	tb.Cleanup(func() { cancel(); <-done })
	return <-sinks
}
