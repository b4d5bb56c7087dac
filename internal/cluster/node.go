package cluster

import (
	"context"
	"log/slog"
	"sync"

	"github.com/redis/go-redis/v9"
)

// Node is this instance's membership of the cluster. Create it with [New] and run it with
// [Node.Run]; Status, Range, Newest and Instances are safe for concurrent use.
type Node struct {
	cfg   Config
	log   *slog.Logger
	rdb   *redis.Client // leases, publishing, history, reports; the reader has its own
	keys  keys
	state state
	feed  chan feedItem // to the one goroutine that feeds the local hub (feed.go)
}

// New returns a Node for cfg, or an error naming what is wrong. It connects to nothing.
func New(cfg Config, log *slog.Logger) (*Node, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	opt, err := cfg.options()
	if err != nil {
		return nil, err
	}
	n := &Node{cfg: cfg, log: log, rdb: redis.NewClient(opt), keys: newKeys(cfg.Prefix), feed: make(chan feedItem, feedBuffer)}
	n.state.instance = cfg.Instance
	return n, nil
}

// Local is this instance's side of the cluster: the hub the stream feeds, the ingest it runs
// while it leads, and what it reports to the other instances.
type Local struct {
	Hub    Hub
	Ingest Ingest
	Stats  func(ctx context.Context) any // this instance's statistics, for ?scope=cluster; nil: none
	Link   func() Link                   // this instance's link to Home Assistant, reported while it leads
}

// Run takes part in the cluster until ctx ends: it reads the stream into local.Hub, leads the
// ingest whenever it holds the lease, and reports. It returns nil once its goroutines have
// exited, having given up the lease; Redis being unreachable is not an error (Status says so,
// and every part tries again).
func (n *Node) Run(ctx context.Context, local Local) error {
	defer n.rdb.Close()
	var wg sync.WaitGroup
	wg.Go(func() { n.feedHub(ctx, local.Hub) })
	wg.Go(func() { n.read(ctx) })
	wg.Go(func() { n.lead(ctx, local.Ingest) })
	wg.Go(func() { n.report(ctx, local) })
	wg.Wait()
	return nil
}

// Status is this instance's view of the cluster, for /health.
type Status struct {
	Instance  string
	Connected bool   // Redis answered the last command
	Problem   string // why not, in plain words; "" when connected
	Leading   bool   // this instance runs the ingest
	LocalOnly bool   // it leads but cannot write the stream: its events reach its own clients only
	Leader    string // the instance that holds the lease, as last read; "" when none
	Epoch     string // the stream's epoch
	// LeaderLink is the leader's link to Home Assistant as it last reported it; nil when no
	// leader has reported lately.
	LeaderLink *Link
}

// Status returns this instance's view of the cluster.
func (n *Node) Status() Status { return n.state.get() }

// noteRedis records whether Redis answered, logging the changes.
func (n *Node) noteRedis(err error) {
	switch changed := n.state.setRedis(err); {
	case !changed:
	case err != nil:
		n.log.LogAttrs(context.Background(), slog.LevelWarn, "redis unreachable; clients are kept, retrying", slog.Any("err", err))
	default:
		n.log.LogAttrs(context.Background(), slog.LevelInfo, "redis reachable")
	}
}

// state is what the Node's goroutines know, for Status: a leaf guarded by mu.
type state struct {
	mu         sync.Mutex
	instance   string
	redisErr   error
	redisSeen  bool // Redis answered at least once, or failed
	leading    bool
	local      bool
	leader     string
	epoch      string
	leaderLink *Link
}

// setRedis records the outcome of a command and reports whether Redis's reachability changed.
func (s *state) setRedis(err error) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	changed := !s.redisSeen || (s.redisErr == nil) != (err == nil)
	s.redisErr, s.redisSeen = err, true
	return changed
}

func (s *state) setLeading(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leading, s.local = on, false
	if on {
		s.leader = s.instance
	}
}

func (s *state) setLocal(on bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.local = on
}

func (s *state) setEpoch(epoch string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.epoch = epoch
}

func (s *state) setLeader(id string, link *Link) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.leader, s.leaderLink = id, link
}

func (s *state) get() Status {
	s.mu.Lock()
	defer s.mu.Unlock()
	st := Status{Instance: s.instance, Connected: s.redisSeen && s.redisErr == nil, Leading: s.leading,
		LocalOnly: s.local, Leader: s.leader, Epoch: s.epoch, LeaderLink: s.leaderLink}
	switch {
	case !s.redisSeen:
		st.Problem = "connecting to Redis"
	case s.redisErr != nil:
		st.Problem = "cannot reach Redis; retrying"
	}
	return st
}
