package store

import (
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"strconv"
	"strings"
	"time"

	_ "modernc.org/sqlite" // registers the "sqlite" driver

	"hasse/internal/stats"
)

// closedKept is how many closed connections the file keeps.
const closedKept = 1000

const schema = `
CREATE TABLE IF NOT EXISTS points (
	span_ms INTEGER NOT NULL, start_ms INTEGER NOT NULL, samples INTEGER NOT NULL, seconds REAL NOT NULL,
	conn_sum INTEGER NOT NULL, conn_max INTEGER NOT NULL, conn_last INTEGER NOT NULL,
	events INTEGER NOT NULL, rate_max REAL NOT NULL,
	mem_sum REAL NOT NULL, mem_max REAL NOT NULL, mem_last REAL NOT NULL,
	cpu_sum REAL NOT NULL, cpu_max REAL NOT NULL, cpu_last REAL NOT NULL,
	backlog_max INTEGER NOT NULL, backlog_last INTEGER NOT NULL, drops INTEGER NOT NULL,
	latency TEXT NOT NULL, extra TEXT NOT NULL DEFAULT '{}',
	PRIMARY KEY (span_ms, start_ms)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS closed (
	seq INTEGER PRIMARY KEY AUTOINCREMENT,
	id TEXT NOT NULL, client_id TEXT NOT NULL, user_id TEXT NOT NULL,
	connected_ms INTEGER NOT NULL, closed_ms INTEGER NOT NULL, duration REAL NOT NULL,
	events_sent INTEGER NOT NULL, reason TEXT NOT NULL, ip TEXT NOT NULL, user_agent TEXT NOT NULL,
	extra TEXT NOT NULL DEFAULT '{}'
);
CREATE TABLE IF NOT EXISTS settings (
	name TEXT PRIMARY KEY, value TEXT NOT NULL
) WITHOUT ROWID;`

// DB is the history file. It satisfies stats.Store.
type DB struct {
	db *sql.DB
}

// Open opens or creates the SQLite file at path, in WAL mode, and checks it: a file that is not
// a database, is damaged, or cannot be written is an error. The file holds clients' addresses
// and user agents: it is made readable by its owner only (0600), and so is one made before.
func Open(path string) (*DB, error) {
	if err := ownerOnly(path); err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db, err := sql.Open("sqlite", "file:"+path+"?_txlock=immediate")
	if err != nil {
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	db.SetMaxOpenConns(1) // one writer; the pragmas below hold for this one connection
	d := &DB{db: db}
	if err := d.init(); err != nil {
		db.Close()
		return nil, fmt.Errorf("open %s: %w", path, err)
	}
	return d, nil
}

func (d *DB) init() error {
	var mode string
	if err := d.db.QueryRow("PRAGMA journal_mode=WAL").Scan(&mode); err != nil {
		return fmt.Errorf("set WAL mode: %w", err)
	}
	if !strings.EqualFold(mode, "wal") {
		return fmt.Errorf("set WAL mode: the file stays in %s mode", mode)
	}
	for _, p := range []string{"PRAGMA busy_timeout=5000", "PRAGMA synchronous=NORMAL"} {
		if _, err := d.db.Exec(p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	var check string
	if err := d.db.QueryRow("PRAGMA quick_check").Scan(&check); err != nil {
		return fmt.Errorf("check: %w", err)
	}
	if check != "ok" {
		return fmt.Errorf("check: the file is damaged: %s", check)
	}
	if _, err := d.db.Exec(schema); err != nil {
		return fmt.Errorf("create tables: %w", err)
	}
	return d.addExtraColumns()
}

// addExtraColumns adds the extra column (the figures that came later, as one JSON value) to the
// tables of a file made before it existed.
func (d *DB) addExtraColumns() error {
	for _, table := range []string{"points", "closed"} {
		var n int
		if err := d.db.QueryRow(`SELECT COUNT(*) FROM pragma_table_info(?) WHERE name = 'extra'`, table).Scan(&n); err != nil {
			return fmt.Errorf("upgrade %s: %w", table, err)
		}
		if n == 0 {
			if _, err := d.db.Exec(`ALTER TABLE ` + table + ` ADD COLUMN extra TEXT NOT NULL DEFAULT '{}'`); err != nil {
				return fmt.Errorf("upgrade %s: %w", table, err)
			}
		}
	}
	return nil
}

// ownerOnly creates the file at path, empty, unless it exists, and makes it and its -wal and -shm
// companions readable and writable by their owner only. SQLite gives the companions it creates
// the database file's mode.
func ownerOnly(path string) error {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	f.Close()
	for _, p := range []string{path, path + "-wal", path + "-shm"} {
		if err := os.Chmod(p, 0o600); err != nil && !errors.Is(err, fs.ErrNotExist) {
			return err
		}
	}
	return nil
}

// Close closes the file.
func (d *DB) Close() error { return d.db.Close() }

// SavePoints inserts points, or replaces those of the same span and start, in one transaction.
func (d *DB) SavePoints(points []stats.Point) error {
	tx, err := d.db.Begin()
	if err != nil {
		return fmt.Errorf("save points: %w", err)
	}
	defer tx.Rollback()
	for _, p := range points {
		extra, err := json.Marshal(p.Extra)
		if err != nil {
			return fmt.Errorf("save points: %w", err)
		}
		_, err = tx.Exec(`INSERT OR REPLACE INTO points (span_ms, start_ms, samples, seconds, conn_sum, conn_max, conn_last,
			events, rate_max, mem_sum, mem_max, mem_last, cpu_sum, cpu_max, cpu_last, backlog_max, backlog_last, drops, latency, extra)
			VALUES (?,?,?,?, ?,?,?, ?,?, ?,?,?, ?,?,?, ?,?,?, ?,?)`,
			p.Span.Milliseconds(), p.Start.UnixMilli(), p.Samples, p.Seconds,
			p.ConnSum, p.ConnMax, p.ConnLast, p.Events, p.RateMax,
			p.MemSum, p.MemMax, p.MemLast, p.CPUSum, p.CPUMax, p.CPULast,
			p.BacklogMax, p.BacklogLast, p.Drops, encodeBins(p.Latency), string(extra))
		if err != nil {
			return fmt.Errorf("save points: %w", err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save points: %w", err)
	}
	return nil
}

// LoadPoints returns every point kept, by span and then oldest first.
func (d *DB) LoadPoints() ([]stats.Point, error) {
	rows, err := d.db.Query(`SELECT span_ms, start_ms, samples, seconds, conn_sum, conn_max, conn_last, events, rate_max,
		mem_sum, mem_max, mem_last, cpu_sum, cpu_max, cpu_last, backlog_max, backlog_last, drops, latency, extra
		FROM points ORDER BY span_ms, start_ms`)
	if err != nil {
		return nil, fmt.Errorf("load points: %w", err)
	}
	defer rows.Close()
	var out []stats.Point
	for rows.Next() {
		var p stats.Point
		var span, start int64
		var bins, extra string
		if err := rows.Scan(&span, &start, &p.Samples, &p.Seconds, &p.ConnSum, &p.ConnMax, &p.ConnLast, &p.Events, &p.RateMax,
			&p.MemSum, &p.MemMax, &p.MemLast, &p.CPUSum, &p.CPUMax, &p.CPULast,
			&p.BacklogMax, &p.BacklogLast, &p.Drops, &bins, &extra); err != nil {
			return nil, fmt.Errorf("load points: %w", err)
		}
		if err := json.Unmarshal([]byte(extra), &p.Extra); err != nil {
			return nil, fmt.Errorf("load points: extra figures: %w", err)
		}
		p.Span, p.Start = time.Duration(span)*time.Millisecond, time.UnixMilli(start)
		if p.Latency, err = decodeBins(bins); err != nil {
			return nil, fmt.Errorf("load points: %w", err)
		}
		out = append(out, p)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load points: %w", err)
	}
	return out, nil
}

// Prune deletes the points of span that ended before before.
func (d *DB) Prune(span time.Duration, before time.Time) error {
	_, err := d.db.Exec(`DELETE FROM points WHERE span_ms = ? AND start_ms + span_ms < ?`, span.Milliseconds(), before.UnixMilli())
	if err != nil {
		return fmt.Errorf("prune points: %w", err)
	}
	return nil
}

// SaveClosed adds closed connections in one transaction, keeping the newest 1000.
func (d *DB) SaveClosed(cs []stats.Closed) error {
	tx, err := d.db.Begin()
	if err != nil {
		return fmt.Errorf("save closed connections: %w", err)
	}
	defer tx.Rollback()
	for _, c := range cs {
		extra, err := json.Marshal(c.ClosedExtra)
		if err != nil {
			return fmt.Errorf("save closed connections: %w", err)
		}
		_, err = tx.Exec(`INSERT INTO closed (id, client_id, user_id, connected_ms, closed_ms, duration, events_sent, reason, ip, user_agent, extra)
			VALUES (?,?,?,?,?,?,?,?,?,?,?)`, c.ID, c.ClientID, c.UserID, c.ConnectedAt.UnixMilli(), c.ClosedAt.UnixMilli(),
			c.Duration, c.EventsSent, c.Reason, c.IPAddress, c.UserAgent, string(extra))
		if err != nil {
			return fmt.Errorf("save closed connections: %w", err)
		}
	}
	if _, err := tx.Exec(`DELETE FROM closed WHERE seq <= (SELECT MAX(seq) FROM closed) - ?`, closedKept); err != nil {
		return fmt.Errorf("prune closed connections: %w", err)
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("save closed connections: %w", err)
	}
	return nil
}

// LoadClosed returns the newest limit closed connections, newest last.
func (d *DB) LoadClosed(limit int) ([]stats.Closed, error) {
	rows, err := d.db.Query(`SELECT id, client_id, user_id, connected_ms, closed_ms, duration, events_sent, reason, ip, user_agent, extra
		FROM (SELECT * FROM closed ORDER BY seq DESC LIMIT ?) ORDER BY seq`, limit)
	if err != nil {
		return nil, fmt.Errorf("load closed connections: %w", err)
	}
	defer rows.Close()
	var out []stats.Closed
	for rows.Next() {
		var c stats.Closed
		var connected, closed int64
		var extra string
		if err := rows.Scan(&c.ID, &c.ClientID, &c.UserID, &connected, &closed, &c.Duration, &c.EventsSent,
			&c.Reason, &c.IPAddress, &c.UserAgent, &extra); err != nil {
			return nil, fmt.Errorf("load closed connections: %w", err)
		}
		if err := json.Unmarshal([]byte(extra), &c.ClosedExtra); err != nil {
			return nil, fmt.Errorf("load closed connections: extra figures: %w", err)
		}
		c.ConnectedAt, c.ClosedAt = time.UnixMilli(connected).UTC(), time.UnixMilli(closed).UTC()
		out = append(out, c)
	}
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("load closed connections: %w", err)
	}
	return out, nil
}

// SaveRules keeps the alert rules an administrator set, with the configured rules they replaced.
func (d *DB) SaveRules(r stats.SavedRules) error {
	b, err := json.Marshal(r)
	if err != nil {
		return fmt.Errorf("save alert rules: %w", err)
	}
	if _, err := d.db.Exec(`INSERT OR REPLACE INTO settings (name, value) VALUES ('alert_rules', ?)`, string(b)); err != nil {
		return fmt.Errorf("save alert rules: %w", err)
	}
	return nil
}

// LoadRules returns the alert rules SaveRules kept, and false when none were.
func (d *DB) LoadRules() (stats.SavedRules, bool, error) {
	var text string
	err := d.db.QueryRow(`SELECT value FROM settings WHERE name = 'alert_rules'`).Scan(&text)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return stats.SavedRules{}, false, nil
	case err != nil:
		return stats.SavedRules{}, false, fmt.Errorf("load alert rules: %w", err)
	}
	var r stats.SavedRules
	if err := json.Unmarshal([]byte(text), &r); err != nil {
		return stats.SavedRules{}, false, fmt.Errorf("load alert rules: %w", err)
	}
	return r, true, nil
}

// encodeBins writes latency bins as "index:count" pairs separated by spaces.
func encodeBins(bins []stats.Bin) string {
	var b []byte
	for i, bin := range bins {
		if i > 0 {
			b = append(b, ' ')
		}
		b = strconv.AppendInt(b, int64(bin.Index), 10)
		b = append(b, ':')
		b = strconv.AppendUint(b, bin.Count, 10)
	}
	return string(b)
}

func decodeBins(s string) ([]stats.Bin, error) {
	var out []stats.Bin
	for field := range strings.FieldsSeq(s) {
		i, n, ok := strings.Cut(field, ":")
		index, err1 := strconv.Atoi(i)
		count, err2 := strconv.ParseUint(n, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, errors.New("latency bins: malformed " + strconv.Quote(field))
		}
		out = append(out, stats.Bin{Index: index, Count: count})
	}
	return out, nil
}
