package cluster

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"time"

	"github.com/redis/go-redis/v9"
	"github.com/redis/go-redis/v9/maintnotifications"

	"hasse/internal/hub"
	"hasse/internal/random"
)

// Config tunes a Node. Zero fields take the defaults shown.
type Config struct {
	// URL is the Redis server: redis://[user:password@]host:port[/db] or rediss://… for TLS.
	// Required.
	URL string
	// Instance names this instance in the lease and the reports: letters, digits, '.', '_', '-';
	// default: the host name and 6 random hex digits.
	Instance string
	// Prefix starts every key, so that several gateways can share one Redis; default "hasse".
	Prefix string
	// Lease is how long the leader's lease lasts unless renewed; it is renewed every 3/10 of it.
	// Default 10s.
	Lease time.Duration
	// MaxLen is the length the stream is trimmed to (MAXLEN ~): resumes reach this far back.
	// Default 10000, at least 1000 (readers that fall behind must still find their place).
	MaxLen int
	// Block is how long one XREAD waits for entries before it asks again; default 2s.
	Block time.Duration
	// Retry is the wait between attempts while Redis cannot be reached; default 500ms.
	Retry time.Duration
}

func (c *Config) setDefaults() error {
	if c.URL == "" {
		return errors.New("cluster: a Redis URL is required")
	}
	if c.Instance == "" {
		host, _ := os.Hostname()
		c.Instance = cleanID(host) + "-" + random.Hex(3)
	}
	c.Prefix = cmp.Or(c.Prefix, "hasse")
	c.Lease = cmp.Or(c.Lease, 10*time.Second)
	c.MaxLen = max(cmp.Or(c.MaxLen, 10000), 1000)
	c.Block = cmp.Or(c.Block, 2*time.Second)
	c.Retry = cmp.Or(c.Retry, 500*time.Millisecond)
	switch {
	case !hub.ValidID(c.Instance):
		return fmt.Errorf("cluster: instance %q: 1 to 64 of A-Z a-z 0-9 . _ -", c.Instance)
	case c.Lease < time.Second:
		return fmt.Errorf("cluster: lease %v is shorter than 1s", c.Lease)
	case c.Block < 10*time.Millisecond || c.Retry < time.Millisecond:
		return errors.New("cluster: block and retry must be positive")
	}
	return nil
}

// renewEvery is the lease's renewal period: 3 s for the default 10 s lease.
func (c *Config) renewEvery() time.Duration { return c.Lease * 3 / 10 }

// options reads the URL into go-redis options; each client of the Node starts from them.
func (c *Config) options() (*redis.Options, error) {
	opt, err := redis.ParseURL(c.URL)
	if err != nil {
		return nil, fmt.Errorf("cluster: %w", err)
	}
	opt.ClientName = c.Prefix + "-" + c.Instance
	opt.DisableIdentity = true
	opt.MaintNotificationsConfig = &maintnotifications.Config{Mode: maintnotifications.ModeDisabled}
	opt.ContextTimeoutEnabled = true
	opt.DialTimeout = min(opt.DialTimeout, c.renewEvery())
	// A command whose answer was lost may have run: the publishing script must not run twice.
	opt.MaxRetries = -1
	opt.DialerRetries, opt.DialerRetryTimeout = 2, 50*time.Millisecond // the loops retry at their pace
	return opt, nil
}

// RedisLog carries go-redis's own messages (failed dials, mostly: the Node reports Redis's state
// itself) into log at debug level. The library has one logger per process: main installs it
// with redis.SetLogger.
type RedisLog struct{ Log *slog.Logger }

// Printf logs one message of go-redis.
func (l RedisLog) Printf(ctx context.Context, format string, v ...any) {
	if l.Log.Enabled(ctx, slog.LevelDebug) {
		l.Log.LogAttrs(ctx, slog.LevelDebug, "redis client", slog.String("msg", fmt.Sprintf(format, v...)))
	}
}

// keys are the names the cluster keeps in Redis.
type keys struct {
	leader, epoch, stream, states, report string
}

func newKeys(prefix string) keys {
	return keys{
		leader: prefix + ":leader",    // the lease: the leader's instance id
		epoch:  prefix + ":epoch",     // the stream's epoch, the first part of every event id
		stream: prefix + ":stream",    // the events and marks
		states: prefix + ":states",    // entity id → its state as of the stream's newest event
		report: prefix + ":instance:", // + instance id: its report, with a time to live
	}
}

// cleanID keeps the characters of s an instance id may hold, at most 50 of them.
func cleanID(s string) string {
	out := make([]byte, 0, len(s))
	for i := 0; i < len(s) && len(out) < 50; i++ {
		if hub.ValidID(s[i : i+1]) {
			out = append(out, s[i])
		}
	}
	if len(out) == 0 {
		return "hasse"
	}
	return string(out)
}
