package cluster

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
	"github.com/redis/go-redis/v9"
	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/format"
	"hasse/internal/hub"
	"hasse/internal/testredis"
)

// step drives the home n activity steps and then sets the sentinel entity to mark, an event
// every client waits for.
func (hm *home) step(n int, mark string) {
	for range n {
		hm.sim.Step()
	}
	hm.sim.SetState("input_text.sentinel", mark, nil)
}

// TestEveryInstanceGetsTheSameIDs runs three instances on one Redis and checks that a client of
// each receives the very same events with the very same ids, of the form <epoch>-<stream id>.
func TestEveryInstanceGetsTheSameIDs(t *testing.T) {
	r, hm := testredis.Start(t), startHome(t)
	var ins []*instance
	for i := range 3 {
		ins = append(ins, startInstance(t, r, hm, fmt.Sprint("i", i), hub.Config{}))
	}
	waitLeader(t, ins...)
	var clients []*client
	for _, in := range ins {
		clients = append(clients, subscribe(t, in, hub.Subscription{}))
	}
	hm.step(0, "ready") // live, or in the resync once the leader's link to the home is up
	for _, cl := range clients {
		cl.until(t, "input_text.sentinel", "ready")
	}
	hm.step(200, "done")
	var first []string
	for i, cl := range clients {
		got := idsOf(cl.until(t, "input_text.sentinel", "done"))
		if len(got) < 200 {
			t.Fatalf("client of %s got %d events, want over 200", ins[i].name, len(got))
		}
		for _, id := range got {
			if parts := strings.Split(id, "-"); len(parts) != 3 || parts[0] != ins[i].node.Status().Epoch {
				t.Fatalf("client of %s got id %q, want <epoch>-<ms>-<seq> in epoch %s", ins[i].name, id, ins[i].node.Status().Epoch)
			}
		}
		if i == 0 {
			first = got
		} else if diff := cmp.Diff(first, got); diff != "" {
			t.Errorf("ids on %s differ from those on %s (-%s +%s):\n%s", ins[i].name, ins[0].name, ins[0].name, ins[i].name, diff)
		}
	}
}

// TestResumeOnAnotherInstance drops a client of one instance and resumes it on another whose
// ring is far too small, at every distance: the events after its id come from the ring and
// from the stream (XRANGE), each once, in order, then live events with no hole.
func TestResumeOnAnotherInstance(t *testing.T) {
	r, hm := testredis.Start(t), startHome(t)
	a := startInstance(t, r, hm, "a", hub.Config{})
	b := startInstance(t, r, hm, "b", hub.Config{ReplaySize: 5})
	waitLeader(t, a, b)
	watcher := subscribe(t, a, hub.Subscription{})
	hm.step(0, "ready")
	watcher.until(t, "input_text.sentinel", "ready")
	hm.step(60, "first")
	all := idsOf(watcher.until(t, "input_text.sentinel", "first"))
	if len(all) < 40 {
		t.Fatalf("watcher got %d events, want 40 or more", len(all))
	}
	// b may not have read up to the watcher's last event yet: a resume from ahead of b waits.
	for _, k := range []int{0, 1, 10, len(all) - 7, len(all) - 6, len(all) - 2, len(all) - 1} {
		cl := subscribe(t, b, hub.Subscription{ID: fmt.Sprint("r", k), LastEventID: all[k]})
		if !cl.c.Resumed || cl.c.Gap != "" {
			t.Errorf("resume after event %d of %d (%s): Resumed %v, Gap %q; want a resume", k, len(all), all[k], cl.c.Resumed, cl.c.Gap)
		}
		var got []string
		for len(got) < len(all)-k-1 {
			ev, ok := cl.next(t)
			if !ok {
				break
			}
			got = append(got, idsOf([]sse.Event{ev})...)
		}
		if diff := cmp.Diff(all[k+1:], got, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("resume after event %d (%s): replay differs (-want +got):\n%s", k, all[k], diff)
		}
		cl.close()
	}

	// A client that resumes from the newest event gets the live ones after it, none twice.
	cl := subscribe(t, b, hub.Subscription{ID: "live", LastEventID: all[len(all)-1]})
	hm.step(20, "second")
	more := idsOf(watcher.until(t, "input_text.sentinel", "second"))
	if diff := cmp.Diff(more, idsOf(cl.until(t, "input_text.sentinel", "second"))); diff != "" {
		t.Errorf("live events after a resume differ from the watcher's (-watcher +resumed):\n%s", diff)
	}

	// An id of another epoch, one the stream never had, and a malformed one end in gaps.
	for _, tc := range []struct {
		id  string
		gap format.Gap
	}{
		{"zzzzzz-1-0", format.GapEpochChanged},
		{a.node.Status().Epoch + "-99999999999999-0", format.GapUnknownEventID},
		{a.node.Status().Epoch + "-1-0", format.GapReplayWindowExceeded},
		{"x-y-z", format.GapUnknownEventID},
	} {
		cl := subscribe(t, b, hub.Subscription{ID: "gap" + string(tc.gap), LastEventID: tc.id})
		if cl.c.Resumed || cl.c.Gap != tc.gap {
			t.Errorf("resume after %q: Resumed %v, Gap %q; want gap %q", tc.id, cl.c.Resumed, cl.c.Gap, tc.gap)
		}
		cl.close()
	}
}

// TestResumeAheadWaitsForTheStream feeds a hub by hand, behind the stream, and resumes a client
// from an event the stream holds but the hub has not had yet: the client is registered once the
// hub gets there, with the events after it and nothing before.
func TestResumeAheadWaitsForTheStream(t *testing.T) {
	r, hm := testredis.Start(t), startHome(t)
	a := startInstance(t, r, hm, "a", hub.Config{})
	waitLeader(t, a)
	watcher := subscribe(t, a, hub.Subscription{})
	// Steps taken before the leader's link to the home is up come as one resync, an event per
	// entity at most, not one per step: wait for the link first.
	hm.step(0, "ready")
	watcher.until(t, "input_text.sentinel", "ready")
	hm.step(30, "done")
	all := idsOf(watcher.until(t, "input_text.sentinel", "done"))

	// A hub of its own, fed from the stream by this test, 10 entries behind the watcher's last.
	h, err := hub.New(hub.Config{History: a.node}, testLog())
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	hubDone := make(chan struct{})
	go func() { defer close(hubDone); _ = h.Run(ctx) }()
	defer func() { cancel(); <-hubDone }()
	epoch := a.node.Status().Epoch
	entries, err := a.node.rangeAfter(ctx, epoch, streamID(t, all[0]), streamID(t, all[len(all)-1]))
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) < 20 {
		t.Fatalf("the stream holds %d entries after the watcher's first, want the 30 steps' and more", len(entries))
	}
	h.Reset(all[0], "", nil)
	split := len(entries) - 10
	for _, e := range entries[:split] {
		feedEntryTo(h, epoch, e)
	}
	awaitFed(t, h, epoch, entries[:split])
	k := len(all) - 4 // resume after this event: 3 more follow it
	joined := make(chan *hub.Client, 1)
	go func() {
		c, err := h.Subscribe(ctx, hub.Subscription{ID: "ahead", User: "u", LastEventID: all[k]})
		if err != nil {
			t.Error(err)
		}
		joined <- c
	}()
	select {
	case c := <-joined:
		t.Fatalf("client registered before the hub reached its id: Resumed %v, Gap %q", c.Resumed, c.Gap)
	case <-time.After(100 * time.Millisecond): // it waits, as it should; this is not a timing assertion
	}
	for _, e := range entries[split:] {
		feedEntryTo(h, epoch, e)
	}
	c := <-joined
	if !c.Resumed || c.Gap != "" {
		t.Fatalf("resume from ahead: Resumed %v, Gap %q; want a resume", c.Resumed, c.Gap)
	}
	var got []string
	for cl := read(t, c); len(got) < len(all)-k-1; {
		ev, ok := cl.next(t)
		if !ok {
			break
		}
		got = append(got, idsOf([]sse.Event{ev})...)
	}
	if diff := cmp.Diff(all[k+1:], got); diff != "" {
		t.Errorf("resume from ahead: replay differs (-want +got):\n%s", diff)
	}
}

func streamID(t *testing.T, eventID string) StreamID {
	t.Helper()
	_, id, ok := parseEventID(eventID)
	if !ok {
		t.Fatalf("%q is not an event id of the stream", eventID)
	}
	return id
}

// TestFailover stops the leader: another instance takes the ingest over, and its clients get
// one gap (leader_failover), the resync events, and live events again. So that the change below
// reaches the clients through the resync only, nobody leads while it happens: the test holds the
// lease itself meanwhile.
func TestFailover(t *testing.T) {
	r, hm := testredis.Start(t), startHome(t)
	a := startInstance(t, r, hm, "a", hub.Config{})
	b := startInstance(t, r, hm, "b", hub.Config{})
	leader := waitLeader(t, a, b)
	other := map[*instance]*instance{a: b, b: a}[leader]
	cl := subscribe(t, other, hub.Subscription{})
	hm.step(20, "before")
	cl.until(t, "input_text.sentinel", "before")

	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "hasse:leader", "test", 0).Err(); err != nil {
		t.Fatal(err)
	}
	leader.kill()
	hm.sim.SetState("light.kitchen", "unseen", nil) // nobody reads the home now
	if err := rdb.Del(ctx, "hasse:leader").Err(); err != nil {
		t.Fatal(err)
	}
	got := cl.until(t, "light.kitchen", "unseen")
	if gaps := gapsOf(got); !slices.Equal(gaps, []format.Gap{format.GapLeaderFailover}) {
		t.Errorf("gaps after the leader stopped: %q, want one %s", gaps, format.GapLeaderFailover)
	}
	if e := envelopeOf(got[len(got)-1]); e.Origin != "resync" {
		t.Errorf("light.kitchen came back with origin %q, want resync", e.Origin)
	}
	if st := other.node.Status(); !st.Leading {
		t.Errorf("after the failover %s does not lead: %+v", other.name, st)
	}
	hm.step(10, "after")
	cl.until(t, "input_text.sentinel", "after")
}

// TestLeaseLostStopsIngest takes the lease from the leader behind its back: it stops writing at
// once (the publishing script refuses it), and takes the lease again only once it is free.
func TestLeaseLostStopsIngest(t *testing.T) {
	r, hm := testredis.Start(t), startHome(t)
	a := startInstance(t, r, hm, "a", hub.Config{})
	waitLeader(t, a)
	cl := subscribe(t, a, hub.Subscription{})
	hm.step(0, "ready")
	cl.until(t, "input_text.sentinel", "ready")

	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	ctx := context.Background()
	if err := rdb.Set(ctx, "hasse:leader", "intruder", 0).Err(); err != nil {
		t.Fatal(err)
	}
	before, err := rdb.XLen(ctx, "hasse:stream").Result()
	if err != nil {
		t.Fatal(err)
	}
	hm.step(20, "unwritten")
	deadline := time.Now().Add(waitLimit)
	for a.node.Status().Leading {
		if time.Now().After(deadline) {
			t.Fatal("the instance still leads after its lease was taken")
		}
		time.Sleep(10 * time.Millisecond) // polling the node's state, not a timing assertion
	}
	if after, _ := rdb.XLen(ctx, "hasse:stream").Result(); after != before {
		t.Errorf("the stream grew from %d to %d entries after the lease was taken", before, after)
	}
	if err := rdb.Del(ctx, "hasse:leader").Err(); err != nil {
		t.Fatal(err)
	}
	got := cl.until(t, "input_text.sentinel", "unwritten") // from the resync of the next session
	if gaps := gapsOf(got); !slices.Equal(gaps, []format.Gap{format.GapLeaderFailover}) {
		t.Errorf("gaps: %q, want one %s", gaps, format.GapLeaderFailover)
	}
}

// TestRedisOutage stops Redis under a leader and a follower: both keep their clients, the
// leader's clients keep getting events, both report Redis down; when Redis comes back (empty:
// a new epoch) they heal by themselves, and every client ends with the home's true state after
// one gap.
func TestRedisOutage(t *testing.T) {
	r, hm := testredis.Start(t), startHome(t)
	a := startInstance(t, r, hm, "a", hub.Config{})
	b := startInstance(t, r, hm, "b", hub.Config{})
	leader := waitLeader(t, a, b)
	follower := map[*instance]*instance{a: b, b: a}[leader]
	lc, fc := subscribe(t, leader, hub.Subscription{}), subscribe(t, follower, hub.Subscription{})
	hm.step(0, "ready")
	lc.until(t, "input_text.sentinel", "ready")
	fc.until(t, "input_text.sentinel", "ready")
	epoch := leader.node.Status().Epoch

	r.Stop()
	hm.step(5, "outage")
	local := lc.until(t, "input_text.sentinel", "outage") // the leader delivers locally
	if gaps := gapsOf(local); len(gaps) != 0 {
		t.Errorf("leader's client got gaps %q during the outage, want none", gaps)
	}
	for _, in := range []*instance{leader, follower} {
		if st := in.node.Status(); st.Connected {
			t.Errorf("%s reports Redis connected while it is stopped", in.name)
		}
	}
	hm.sim.SetState("light.kitchen", "outage", nil)
	r.Start()
	deadline := time.Now().Add(waitLimit)
	for !healed(epoch, leader, follower) {
		if time.Now().After(deadline) {
			t.Fatalf("not healed within %v: %+v, %+v", waitLimit, leader.node.Status(), follower.node.Status())
		}
		time.Sleep(10 * time.Millisecond) // polling the nodes' state, not a timing assertion
	}
	hm.step(5, "healed")
	for name, cl := range map[string]*client{"leader": lc, "follower": fc} {
		got := cl.until(t, "input_text.sentinel", "healed")
		gaps := gapsOf(got)
		if len(gaps) != 1 {
			t.Errorf("%s's client: gaps %q after the outage, want one", name, gaps)
		}
		kitchen := ""
		for _, ev := range got {
			if e := envelopeOf(ev); e.EntityID == "light.kitchen" {
				kitchen = e.State
			}
		}
		if kitchen != "outage" {
			t.Errorf("%s's client: light.kitchen %q after healing, want outage", name, kitchen)
		}
	}
	if now := follower.node.Status().Epoch; now == epoch {
		t.Errorf("epoch %q unchanged after Redis lost its data", now)
	}
}

// healed reports whether every instance reaches Redis and follows a new epoch, one of them leading.
func healed(oldEpoch string, ins ...*instance) bool {
	leading := false
	for _, in := range ins {
		st := in.node.Status()
		if !st.Connected || st.Epoch == oldEpoch || st.LocalOnly {
			return false
		}
		leading = leading || st.Leading
	}
	return leading
}

// TestAWriteWhoseAnswerIsLostReachesClientsOnce: Redis stops answering (paused) while the
// leader writes an event. The write times out, so the leader delivers the event locally; when
// Redis resumes, the script it was sent runs after all, and the reader brings the event again.
// The event is in the stream once (the write is not sent twice), and reaches the leader's
// client once and the follower's once.
func TestAWriteWhoseAnswerIsLostReachesClientsOnce(t *testing.T) {
	r, hm := testredis.Start(t), startHome(t)
	config := func(name string) Config {
		cfg := testConfig(r.URL()+"?read_timeout=300ms", name) // answers lost sooner than go-redis's default 3 s
		cfg.Lease = 10 * time.Second                           // no failover while Redis is paused
		return cfg
	}
	a := startInstanceWith(t, config("a"), hm, hub.Config{})
	waitLeader(t, a)
	b := startInstanceWith(t, config("b"), hm, hub.Config{})
	lc, fc := subscribe(t, a, hub.Subscription{}), subscribe(t, b, hub.Subscription{})
	hm.step(0, "ready")
	lc.until(t, "input_text.sentinel", "ready")
	fc.until(t, "input_text.sentinel", "ready")

	r.Pause()
	hm.sim.SetState("light.kitchen", "once", nil)
	got := lc.until(t, "light.kitchen", "once") // delivered locally once the write timed out
	r.Resume()
	deadline := time.Now().Add(waitLimit)
	for st := a.node.Status(); st.LocalOnly || !st.Leading || !st.Connected; st = a.node.Status() {
		if time.Now().After(deadline) {
			t.Fatalf("the leader never wrote the stream again: %+v", st)
		}
		time.Sleep(10 * time.Millisecond) // polling the node's state, not a timing assertion
	}
	hm.sim.SetState("input_text.sentinel", "after", nil) // through the stream: after the event's entry
	got = append(got, lc.until(t, "input_text.sentinel", "after")...)
	for name, evs := range map[string][]sse.Event{"leader's": got, "follower's": fc.until(t, "input_text.sentinel", "after")} {
		n := 0
		for _, ev := range evs {
			if e := envelopeOf(ev); e.EntityID == "light.kitchen" && e.State == "once" {
				n++
			}
		}
		if n != 1 {
			t.Errorf("the %s client got light.kitchen once %d times; want 1", name, n)
		}
	}
	rdb := redis.NewClient(&redis.Options{Addr: r.Addr()})
	defer rdb.Close()
	entries, err := rdb.XRange(context.Background(), "hasse:stream", "-", "+").Result()
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, m := range entries {
		if e, _, err := decodeEntry(fieldsOf(m.ID, m.Values)); err == nil && e.ev != nil && e.ev.EntityID == "light.kitchen" && e.ev.State == "once" {
			n++
		}
	}
	if n != 1 {
		t.Errorf("the stream holds light.kitchen once %d times; want 1", n)
	}
}
