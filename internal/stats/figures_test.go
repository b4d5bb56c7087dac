package stats

import (
	"cmp"
	"context"
	"maps"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"testing/synctest"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"

	"hasse/internal/geo"
	"hasse/internal/geo/geotest"
	"hasse/internal/hub"
	"hasse/internal/writer"
)

// counting is an Output that counts the bytes written to it.
type counting struct{ n atomic.Int64 }

func (o *counting) Write(p []byte) (int, error)      { o.n.Add(int64(len(p))); return len(p), nil }
func (o *counting) Flush() error                     { return nil }
func (o *counting) SetWriteDeadline(time.Time) error { return nil }

// stream subscribes sub and streams it to out until the rig stops or cancel is called.
func (r *rig) stream(sub hub.Subscription, out writer.Output) (*hub.Client, context.CancelFunc) {
	r.t.Helper()
	sub.User = cmp.Or(sub.User, "u")
	cl, err := r.hub.Subscribe(context.Background(), sub)
	if err != nil {
		r.t.Fatal(err)
	}
	r.c.Notice()
	ctx, cancel := context.WithCancel(context.Background())
	r.wg.Go(func() {
		_ = writer.Stream(ctx, cl, out)
		cl.Close()
		r.c.Notice()
	})
	return cl, cancel
}

// TestDeliverySuccessRate: a slow consumer's dropped queue lowers the delivery success rate,
// on every reading of it, and an alert on it fires.
func TestDeliverySuccessRate(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rules, err := ParseRules("delivery_success_rate<99")
		if err != nil {
			t.Fatal(err)
		}
		r := newRig(t, Config{Interval: 10 * time.Second, Rules: rules}, hub.Config{QueueBytes: 4 << 10})
		defer r.stop()
		r.stream(hub.Subscription{ID: "reader"}, nowhere{})
		stalled, err := r.hub.Subscribe(context.Background(), hub.Subscription{ID: "stalled", User: "u"}) // never read
		if err != nil {
			t.Fatal(err)
		}
		queued, published := 0, 0
		for ; stalled.Err() == nil; published++ {
			queued = stalled.QueuedEvents()
			r.publish(1, time.Millisecond)
			synctest.Wait()
		}
		lost := int64(queued + 1) // the queue and the event that did not fit
		time.Sleep(10 * time.Second)
		synctest.Wait()

		st := r.c.Stats(context.Background())
		want := Delivery{Delivered: int64(published), Undelivered: lost}
		want.SuccessRate = float64(published) * 100 / float64(int64(published)+lost)
		want.RecentSuccessRate = want.SuccessRate
		if st.Delivery != want || st.Delivery.SuccessRate >= 99 {
			t.Errorf("delivery = %+v, want %+v", st.Delivery, want)
		}
		m, err := r.c.Metrics(context.Background(), "1h")
		if err != nil {
			t.Fatal(err)
		}
		d := m.Metrics.Events.Delivery
		if d.Delivered != want.Delivered || d.Undelivered != lost || d.SuccessRate.Current != want.SuccessRate ||
			d.SuccessRate.Min != want.SuccessRate || d.SuccessRate.Average != want.SuccessRate {
			t.Errorf("metrics delivery = %+v, want %d delivered, %d undelivered, %v%% throughout", d, published, lost, want.SuccessRate)
		}
		h, err := r.c.History(context.Background(), "1h", 0)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.Series) != 1 || h.Series[0].DeliverySuccessRate != want.SuccessRate || h.Series[0].Undelivered != lost {
			t.Errorf("history = %+v, want one point at %v%%", h.Series, want.SuccessRate)
		}
		if len(st.Alerts) != 1 || st.Alerts[0].Rule != "delivery_success_rate" || st.Alerts[0].State != StateFiring || !st.Alerts[0].Below {
			t.Errorf("alerts = %+v, want delivery_success_rate firing", st.Alerts)
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(r.c.Prometheus(PromSources{}))
		got, err := testutil.GatherAndCount(reg, "hasse_sse_events_undelivered_total", "hasse_sse_delivery_success_ratio")
		if err != nil || got != 2 {
			t.Errorf("exported %d of the delivery series (%v), want 2", got, err)
		}
		if err := testutil.GatherAndCompare(reg, strings.NewReader(
			"# HELP hasse_sse_events_undelivered_total Events that should have reached an SSE client and did not: dropped with a slow consumer's queue, or carried by a failed write.\n"+
				"# TYPE hasse_sse_events_undelivered_total counter\n"+
				"hasse_sse_events_undelivered_total "+strconv.FormatInt(lost, 10)+"\n"), "hasse_sse_events_undelivered_total"); err != nil {
			t.Error(err)
		}
	})
}

// TestBandwidthAndDurations: bytes written to clients, per connection and in all, and how long
// connections have been open and lasted, read after a stream wrote and a connection ended.
func TestBandwidthAndDurations(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, Config{Interval: 10 * time.Second}, hub.Config{})
		defer r.stop()
		var outA, outB counting
		a, _ := r.stream(hub.Subscription{ID: "a"}, &outA)
		time.Sleep(10 * time.Second) // sample 1: a is 10 s old
		synctest.Wait()
		b, leaveB := r.stream(hub.Subscription{ID: "b"}, &outB)
		r.publish(20, time.Millisecond)
		synctest.Wait()
		time.Sleep(10 * time.Second) // sample 2: a 20 s, b 10 s
		synctest.Wait()

		st := r.c.Stats(context.Background())
		total := outA.n.Load() + outB.n.Load()
		if total == 0 || st.BytesSent != total || st.BytesPerSecond != float64(total)/10 {
			t.Errorf("bytes sent %d at %v/s; the outputs took %d, in the last 10 s", st.BytesSent, st.BytesPerSecond, total)
		}
		ca, _ := r.c.Connection(context.Background(), "a")
		if ca.BytesSent != outA.n.Load() || ca.BytesPerSecond != float64(outA.n.Load())/10 || ca.Duration != 20 || a.BytesSent() != ca.BytesSent {
			t.Errorf("connection a: %d bytes at %v/s, %vs open; its output took %d in the last 10 s of 20",
				ca.BytesSent, ca.BytesPerSecond, ca.Duration, outA.n.Load())
		}
		wantAges := ConnectionDurations{Average: 15, Max: 20, Distribution: []Bucket{
			{"<10s", 0}, {"10s-1m", 2}, {"1m-10m", 0}, {"10m-1h", 0}, {"1h-6h", 0}, {"6h-24h", 0}, {">=24h", 0}}}
		if !equalDurations(st.ConnectionDuration, wantAges) {
			t.Errorf("connection durations = %+v, want %+v", st.ConnectionDuration, wantAges)
		}

		leaveB() // b goes after 10 s
		synctest.Wait()
		time.Sleep(10 * time.Second) // sample 3: a alone, 30 s old
		synctest.Wait()
		m, err := r.c.Metrics(context.Background(), "1h")
		if err != nil {
			t.Fatal(err)
		}
		net := m.Metrics.Resources.Network
		if net.BytesSent != total || net.Rate.Max != float64(total)/10 || net.Rate.Current != 0 || net.Rate.Average != float64(total)/30 {
			t.Errorf("network = %+v, want %d bytes, %v/s at most, none now, %v/s on average", net, total, float64(total)/10, float64(total)/30)
		}
		d := m.Metrics.Connections.Duration
		// samples saw a at 10 (alone), then a at 20 and b at 10, then a at 30: 70 s over 4
		if d.Current != 30 || d.Max != 30 || d.Average != 17.5 || d.Closed.Count != 1 || d.Closed.Average != 10 ||
			d.Closed.Distribution[1] != (Bucket{"10s-1m", 1}) {
			t.Errorf("durations = %+v, want now 30, max 30, average 17.5, one closed after 10 s", d)
		}
		h, err := r.c.History(context.Background(), "1h", 10)
		if err != nil {
			t.Fatal(err)
		}
		if len(h.ClosedConnections) != 1 || h.ClosedConnections[0].BytesSent != outB.n.Load() {
			t.Errorf("closed = %+v, want b with its %d bytes", h.ClosedConnections, outB.n.Load())
		}
		if len(h.Series) != 3 || h.Series[1].BytesPerSecond != float64(total)/10 || h.Series[2].ConnectionDurationMax != 30 ||
			h.Series[2].ConnectionsClosed != 1 {
			t.Errorf("series = %+v, want three points, the second at %v bytes/s, the third with a 30 s connection and one closed", h.Series, float64(total)/10)
		}
		_ = b
	})
}

func equalDurations(a, b ConnectionDurations) bool {
	if a.Average != b.Average || a.Max != b.Max || len(a.Distribution) != len(b.Distribution) {
		return false
	}
	for i := range a.Distribution {
		if a.Distribution[i] != b.Distribution[i] {
			return false
		}
	}
	return true
}

// TestProtocolsAndGeography: each connection's protocol and where it comes from, by network
// class always, and by country and city from a configured database.
func TestProtocolsAndGeography(t *testing.T) {
	db, err := geo.Open(geotest.Write(t, geotest.Entry{Network: "203.0.113.0/24", Country: "SE", City: "Stockholm"}))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, Config{Interval: 10 * time.Second, Geo: db}, hub.Config{})
		defer r.stop()
		for _, sub := range []hub.Subscription{
			{ID: "se", RemoteAddr: "203.0.113.7", Protocol: "HTTP/2.0", TLS: "TLS 1.3"},
			{ID: "nowhere", RemoteAddr: "198.51.100.1", Protocol: "HTTP/1.1"},
			{ID: "local4", RemoteAddr: "127.0.0.1", Protocol: "HTTP/1.1"},
			{ID: "local6", RemoteAddr: "::1", Protocol: "HTTP/1.1"},
			{ID: "lan", RemoteAddr: "192.168.1.100", Protocol: "HTTP/2.0", TLS: "TLS 1.2"},
			{ID: "link", RemoteAddr: "fe80::1", Protocol: "HTTP/1.1"},
		} {
			r.stream(sub, nowhere{})
		}
		synctest.Wait()
		st := r.c.Stats(context.Background())
		g := st.Geography
		for _, check := range []struct {
			name      string
			got, want map[string]int
		}{
			{"networks", g.Networks, map[string]int{"public": 2, "loopback": 2, "private": 1, "link-local": 1}},
			{"ip_versions", g.IPVersions, map[string]int{"IPv4": 4, "IPv6": 2}},
			{"countries", g.Countries, map[string]int{"SE": 1, "unknown": 1}},
			{"cities", g.Cities, map[string]int{"Stockholm, SE": 1}},
			{"protocols", st.Protocols, map[string]int{"HTTP/1.1": 4, "HTTP/2.0": 2}},
		} {
			if !maps.Equal(check.got, check.want) {
				t.Errorf("%s = %v, want %v", check.name, check.got, check.want)
			}
		}
		if g.Database != "hasse-test-City" || st.TLSConnections != 2 {
			t.Errorf("database %q, %d TLS connections; want hasse-test-City, 2", g.Database, st.TLSConnections)
		}
		se, _ := r.c.Connection(context.Background(), "se")
		if se.Country != "SE" || se.City != "Stockholm" || se.Network != "public" || se.IPVersion != "IPv4" ||
			se.Protocol != "HTTP/2.0" || !se.TLS || se.TLSVersion != "TLS 1.3" {
			t.Errorf("connection se = %+v", se)
		}
		reg := prometheus.NewPedanticRegistry()
		reg.MustRegister(r.c.Prometheus(PromSources{}))
		if err := testutil.GatherAndCompare(reg, strings.NewReader(`
# HELP hasse_sse_clients_by_country Open SSE connections by the client's country, with a geographic database.
# TYPE hasse_sse_clients_by_country gauge
hasse_sse_clients_by_country{country="SE"} 1
hasse_sse_clients_by_country{country="unknown"} 1
# HELP hasse_sse_clients_by_protocol Open SSE connections by HTTP protocol and TLS.
# TYPE hasse_sse_clients_by_protocol gauge
hasse_sse_clients_by_protocol{protocol="HTTP/1.1",tls="false"} 4
hasse_sse_clients_by_protocol{protocol="HTTP/2.0",tls="true"} 2
`), "hasse_sse_clients_by_country", "hasse_sse_clients_by_protocol"); err != nil {
			t.Error(err)
		}
	})
}

// TestPoolsAndHistoryWrites: the writer pool's shards and their busy share, the scheduler's
// figures, and the history store's writes.
func TestPoolsAndHistoryWrites(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		store := &memHistory{}
		r := newRig(t, Config{Interval: 10 * time.Second, MaxClients: 50, Store: store}, hub.Config{})
		defer r.stop()
		var busy atomic.Int64
		r.c.SetPool(func() []writer.ShardStatus {
			return []writer.ShardStatus{{Connections: 1, Writes: 7, Bytes: 700, Busy: time.Duration(busy.Load())}, {}}
		})
		r.stream(hub.Subscription{ID: "a"}, nowhere{})
		time.Sleep(10 * time.Second) // sample 1
		synctest.Wait()
		busy.Store(int64(4 * time.Second))
		time.Sleep(50 * time.Second) // samples 2 to 6: the first minute's point is saved
		synctest.Wait()
		st := r.c.Stats(context.Background())
		cp := st.ConnectionPool
		if cp.Limit != 50 || cp.Open != 1 || cp.Available != 49 || cp.Pooled != 1 || len(cp.Shards) != 2 ||
			cp.Shards[0] != (Shard{Connections: 1, Writes: 7, BytesSent: 700, Busy: 0}) {
			t.Errorf("connection pool = %+v", cp)
		}
		tp := st.ThreadPool
		if tp.Goroutines < 3 || tp.OSThreads < 1 || tp.GOMAXPROCS < 1 || tp.CPUs < 1 || tp.Writers != 2 {
			t.Errorf("thread pool = %+v", tp)
		}
		if st.DiskIO.HistoryWrites != int64(store.writes.Load()) || st.DiskIO.HistoryWrites == 0 {
			t.Errorf("history writes = %d, the store saw %d", st.DiskIO.HistoryWrites, store.writes.Load())
		}
		m, err := r.c.Metrics(context.Background(), "1h")
		if err != nil {
			t.Fatal(err)
		}
		res := m.Metrics.Resources
		// the writes of the last sample itself are counted by the next
		if res.Disk.HistoryWrites == 0 || res.Disk.HistoryWrites > st.DiskIO.HistoryWrites || res.Goroutines.Max < res.Goroutines.Average || res.Goroutines.Average < 3 || res.Threads.Max < 1 {
			t.Errorf("resources: disk %+v, goroutines %+v, threads %+v", res.Disk, res.Goroutines, res.Threads)
		}
	})
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, Config{Interval: 10 * time.Second}, hub.Config{})
		defer r.stop()
		var busy atomic.Int64
		r.c.SetPool(func() []writer.ShardStatus { return []writer.ShardStatus{{Busy: time.Duration(busy.Load())}} })
		time.Sleep(10 * time.Second)
		synctest.Wait()
		busy.Store(int64(4 * time.Second))
		time.Sleep(10 * time.Second)
		synctest.Wait()
		if sh := r.c.Stats(context.Background()).ConnectionPool.Shards; len(sh) != 1 || sh[0].Busy != 40 {
			t.Errorf("shards = %+v, want one 40 %% busy", sh)
		}
	})
}

// memHistory is a Store in memory that counts its writes.
type memHistory struct {
	writes atomic.Int64
}

func (m *memHistory) SavePoints([]Point) error             { m.writes.Add(1); return nil }
func (m *memHistory) LoadPoints() ([]Point, error)         { return nil, nil }
func (m *memHistory) Prune(time.Duration, time.Time) error { m.writes.Add(1); return nil }
func (m *memHistory) SaveClosed([]Closed) error            { m.writes.Add(1); return nil }
func (m *memHistory) LoadClosed(int) ([]Closed, error)     { return nil, nil }
func (m *memHistory) SaveRules(SavedRules) error           { m.writes.Add(1); return nil }
func (m *memHistory) LoadRules() (SavedRules, bool, error) { return SavedRules{}, false, nil }

// TestDiskIO writes and syncs a file and reads the process's storage writes back from every
// reading of them. It needs the kernel's per-process I/O accounting and a temporary folder on
// storage (not tmpfs, whose pages never reach a disk).
func TestDiskIO(t *testing.T) {
	dir := t.TempDir()
	if _, _, ok := diskIO(); !ok {
		t.Skip("no /proc/self/io: this kernel keeps no per-process I/O accounting")
	}
	var fs syscall.Statfs_t
	if err := syscall.Statfs(dir, &fs); err != nil || fs.Type == 0x01021994 { // TMPFS_MAGIC
		t.Skipf("%s is on tmpfs: its writes never reach storage", dir)
	}
	const size = 1 << 20
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, Config{Interval: 10 * time.Second}, hub.Config{})
		defer r.stop()
		_, before, _ := diskIO()
		if err := os.WriteFile(filepath.Join(dir, "written"), make([]byte, size), 0o600); err != nil {
			t.Fatal(err)
		}
		f, err := os.Open(filepath.Join(dir, "written"))
		if err != nil {
			t.Fatal(err)
		}
		if err := f.Sync(); err != nil {
			t.Fatal(err)
		}
		f.Close()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		st := r.c.Stats(context.Background())
		if st.DiskIO.WriteBytes < before+size || st.DiskIO.WriteBytesPerSecond < size/10 {
			t.Errorf("disk I/O = %+v, want %d bytes more written than %d, at least %d/s", st.DiskIO, size, before, size/10)
		}
		m, err := r.c.Metrics(context.Background(), "1h")
		if err != nil {
			t.Fatal(err)
		}
		if w := m.Metrics.Resources.Disk.Write; w.Max < size/10 || w.Average < size/10 {
			t.Errorf("metrics disk write = %+v, want at least %d/s", w, size/10)
		}
	})
}
