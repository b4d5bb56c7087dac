package store

import (
	"database/sql"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"go.uber.org/goleak"

	"hasse/internal/stats"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

func open(t *testing.T, path string) *DB {
	t.Helper()
	db, err := Open(path)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func point(span time.Duration, startMS int64, conns int64) stats.Point {
	return stats.Point{
		Start: time.UnixMilli(startMS), Span: span, Samples: 6, Seconds: 60,
		ConnSum: 6 * conns, ConnMax: conns + 1, ConnLast: conns, Events: 120, RateMax: 3.5,
		MemSum: 6e7, MemMax: 1.1e7, MemLast: 1e7, CPUSum: 12.5, CPUMax: 4, CPULast: 1.5,
		BacklogMax: 9, BacklogLast: 2, Drops: 1,
		Latency: []stats.Bin{{Index: 40, Count: 100}, {Index: 52, Count: 20}},
		Extra: stats.Extra{Bytes: 4096 * conns, ByteRateMax: 100.5, Undelivered: 3, FailPctMax: 2.5, AgeSum: 600, AgeCount: 6,
			AgeMax: 120, Closed: stats.Durations{1, 0, 2}, ClosedSeconds: 75, DiskWrite: 8192, DiskWriteRateMax: 300,
			HistoryWrites: 4, GoroutinesSum: 120, GoroutinesMax: 22, ThreadsSum: 48, ThreadsMax: 8},
	}
}

func TestPointsSurviveReopen(t *testing.T) {
	path := filepath.Join(t.TempDir(), "h.db")
	db := open(t, path)
	want := []stats.Point{point(time.Minute, 60_000, 3), point(10*time.Second, 10_000, 1), point(10*time.Second, 20_000, 2)}
	if err := db.SavePoints(want); err != nil {
		t.Fatal(err)
	}
	replaced := point(time.Minute, 60_000, 7) // the same span and start: replaces
	if err := db.SavePoints([]stats.Point{replaced}); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	got, err := open(t, path).LoadPoints()
	if err != nil {
		t.Fatal(err)
	}
	want = []stats.Point{want[1], want[2], replaced} // by span, then start
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadPoints after reopen diff (-want +got):\n%s", diff)
	}
	if mode := journalMode(t, path); mode != "wal" {
		t.Errorf("journal mode %q, want wal", mode)
	}
}

func journalMode(t *testing.T, path string) string {
	db := open(t, path)
	var mode string
	if err := db.db.QueryRow("PRAGMA journal_mode").Scan(&mode); err != nil {
		t.Fatal(err)
	}
	return mode
}

func TestPrune(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "h.db"))
	if err := db.SavePoints([]stats.Point{
		point(10*time.Second, 0, 1), point(10*time.Second, 10_000, 1), point(10*time.Second, 20_000, 1),
		point(time.Minute, 0, 1),
	}); err != nil {
		t.Fatal(err)
	}
	// Points of 10 s that ended before 25 s go; the minute point stays (another span).
	if err := db.Prune(10*time.Second, time.UnixMilli(25_000)); err != nil {
		t.Fatal(err)
	}
	got, err := db.LoadPoints()
	if err != nil {
		t.Fatal(err)
	}
	var starts []string
	for _, p := range got {
		starts = append(starts, p.Span.String()+"@"+p.Start.UTC().Format("15:04:05"))
	}
	if want := []string{"10s@00:00:20", "1m0s@00:00:00"}; !cmp.Equal(starts, want) {
		t.Errorf("after Prune: %v, want %v", starts, want)
	}
}

func TestClosedConnections(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "h.db"))
	var all []stats.Closed
	for i, reason := range []string{"client_closed", "slow_consumer", "closed_by_admin"} {
		c := stats.Closed{
			ID: "conn_" + reason, ClientID: "c", UserID: "u", ConnectedAt: time.UnixMilli(int64(i) * 1000).UTC(),
			ClosedAt: time.UnixMilli(int64(i)*1000 + 1500).UTC(), Duration: 1.5, EventsSent: int64(i), Reason: reason,
			IPAddress: "192.0.2.1", UserAgent: "ua",
			ClosedExtra: stats.ClosedExtra{BytesSent: int64(i) * 100, Protocol: "HTTP/2.0", TLSVersion: "TLS 1.3", Network: "public", Country: "SE"},
		}
		all = append(all, c)
	}
	if err := db.SaveClosed(all[:1]); err != nil {
		t.Fatal(err)
	}
	if err := db.SaveClosed(all[1:]); err != nil {
		t.Fatal(err)
	}
	got, err := db.LoadClosed(2)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(all[1:], got); diff != "" {
		t.Errorf("LoadClosed(2) diff (-want +got):\n%s", diff)
	}
}

func TestBadFilesAreRefused(t *testing.T) {
	dir := t.TempDir()
	garbage := filepath.Join(dir, "garbage.db")
	if err := os.WriteFile(garbage, []byte(strings.Repeat("this is not a database\n", 400)), 0o600); err != nil {
		t.Fatal(err)
	}
	damaged := filepath.Join(dir, "damaged.db")
	db := open(t, damaged)
	if err := db.SavePoints([]stats.Point{point(time.Minute, 0, 1)}); err != nil {
		t.Fatal(err)
	}
	db.Close()
	b, err := os.ReadFile(damaged)
	if err != nil {
		t.Fatal(err)
	}
	os.Remove(damaged + "-wal")
	os.Remove(damaged + "-shm")
	for i := 100; i < 4096 && i < len(b); i++ { // the header's page size and counts
		b[i] = 0xA5
	}
	if err := os.WriteFile(damaged, b, 0o600); err != nil {
		t.Fatal(err)
	}
	notADir := filepath.Join(dir, "file")
	if err := os.WriteFile(notADir, nil, 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{garbage, damaged, filepath.Join(notADir, "h.db")} {
		db, err := Open(path)
		t.Logf("Open(%s): %v", filepath.Base(path), err)
		if err == nil {
			db.Close()
			t.Errorf("Open(%s) = nil error, want one", filepath.Base(path))
		}
	}
}

func TestClosedConnectionsAreCapped(t *testing.T) {
	db := open(t, filepath.Join(t.TempDir(), "h.db"))
	var cs []stats.Closed
	for i := range closedKept + 5 {
		cs = append(cs, stats.Closed{ID: fmt.Sprint("conn_", i), Reason: "client_closed"})
	}
	if err := db.SaveClosed(cs); err != nil {
		t.Fatal(err)
	}
	got, err := db.LoadClosed(2 * closedKept)
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != closedKept || got[0].ID != "conn_5" || got[len(got)-1].ID != fmt.Sprint("conn_", closedKept+4) {
		t.Errorf("kept %d, from %s to %s; want the newest %d", len(got), got[0].ID, got[len(got)-1].ID, closedKept)
	}
}

func TestRulesRoundTrip(t *testing.T) {
	path := filepath.Join(t.TempDir(), "stats.db")
	if _, saved, err := open(t, path).LoadRules(); err != nil || saved {
		t.Fatalf("LoadRules on a new file: saved %v, err %v; want nothing saved", saved, err)
	}
	want := stats.SavedRules{
		Rules:    []stats.Rule{{Name: "busy", Metric: "connections", Threshold: 3, For: stats.Duration(10 * time.Second)}},
		Replaced: []stats.Rule{{Name: "cpu", Metric: "cpu", Threshold: 90, For: stats.Duration(5 * time.Minute)}},
	}
	if err := open(t, path).SaveRules(want); err != nil {
		t.Fatal(err)
	}
	got, saved, err := open(t, path).LoadRules()
	if err != nil || !saved {
		t.Fatalf("LoadRules: saved %v, err %v", saved, err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("LoadRules diff (-want +got):\n%s", diff)
	}
}

// TestFileOfAnEarlierVersion opens a file made before the extra figures existed: it is upgraded,
// its points and closed connections load with no extra figures, and new ones keep theirs.
func TestFileOfAnEarlierVersion(t *testing.T) {
	path := filepath.Join(t.TempDir(), "old.db")
	old, err := sql.Open("sqlite", "file:"+path)
	if err != nil {
		t.Fatal(err)
	}
	for _, stmt := range []string{
		`CREATE TABLE points (
			span_ms INTEGER NOT NULL, start_ms INTEGER NOT NULL, samples INTEGER NOT NULL, seconds REAL NOT NULL,
			conn_sum INTEGER NOT NULL, conn_max INTEGER NOT NULL, conn_last INTEGER NOT NULL,
			events INTEGER NOT NULL, rate_max REAL NOT NULL,
			mem_sum REAL NOT NULL, mem_max REAL NOT NULL, mem_last REAL NOT NULL,
			cpu_sum REAL NOT NULL, cpu_max REAL NOT NULL, cpu_last REAL NOT NULL,
			backlog_max INTEGER NOT NULL, backlog_last INTEGER NOT NULL, drops INTEGER NOT NULL,
			latency TEXT NOT NULL,
			PRIMARY KEY (span_ms, start_ms)) WITHOUT ROWID`,
		`CREATE TABLE closed (seq INTEGER PRIMARY KEY AUTOINCREMENT,
			id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
			connected_ms INTEGER NOT NULL, closed_ms INTEGER NOT NULL, duration REAL NOT NULL,
			events_sent INTEGER NOT NULL, reason TEXT NOT NULL, ip TEXT NOT NULL, user_agent TEXT NOT NULL)`,
		`INSERT INTO points VALUES (10000, 10000, 1, 10, 2, 2, 2, 5, 0.5, 1e7, 1e7, 1e7, 1, 1, 1, 0, 0, 0, '40:5')`,
		`INSERT INTO closed (id, client_id, user_id, connected_ms, closed_ms, duration, events_sent, reason, ip, user_agent)
			VALUES ('conn_old', 'c', 'u', 0, 1000, 1, 3, 'client_closed', '192.0.2.1', 'ua')`,
	} {
		if _, err := old.Exec(stmt); err != nil {
			t.Fatal(err)
		}
	}
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}
	db := open(t, path)
	points, err := db.LoadPoints()
	if err != nil || len(points) != 1 || points[0].Events != 5 || points[0].Extra != (stats.Extra{}) {
		t.Fatalf("LoadPoints = %+v, %v; want the old point with no extra figures", points, err)
	}
	closed, err := db.LoadClosed(10)
	if err != nil || len(closed) != 1 || closed[0].ID != "conn_old" || closed[0].ClosedExtra != (stats.ClosedExtra{}) {
		t.Fatalf("LoadClosed = %+v, %v; want conn_old with no extra figures", closed, err)
	}
	fresh := point(time.Minute, 60_000, 3)
	if err := db.SavePoints([]stats.Point{fresh}); err != nil {
		t.Fatal(err)
	}
	points, err = db.LoadPoints()
	if err != nil || len(points) != 2 || points[1].Extra != fresh.Extra { // by span: the 10 s point first
		t.Fatalf("after saving a new point: %+v, %v; want its extra figures kept", points, err)
	}
}

// TestFilesAreOwnerOnly checks that the history file and its -wal and -shm companions, which
// hold clients' addresses and user agents, are readable by their owner only, also when an
// earlier version made the file readable by all.
func TestFilesAreOwnerOnly(t *testing.T) {
	dir := t.TempDir()
	fresh, old := filepath.Join(dir, "fresh.db"), filepath.Join(dir, "old.db")
	if err := os.WriteFile(old, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(old, 0o644); err != nil { // whatever the umask
		t.Fatal(err)
	}
	for _, path := range []string{fresh, old} {
		db := open(t, path)
		if err := db.SaveClosed([]stats.Closed{{ID: "conn_1", IPAddress: "192.0.2.7", UserAgent: "test"}}); err != nil {
			t.Fatal(err)
		}
		for _, p := range []string{path, path + "-wal", path + "-shm"} {
			fi, err := os.Stat(p)
			if err != nil {
				t.Fatalf("%s: %v", p, err)
			}
			if mode := fi.Mode().Perm(); mode&0o077 != 0 {
				t.Errorf("%s has mode %v, want no access for group and others", filepath.Base(p), mode)
			}
		}
	}
}
