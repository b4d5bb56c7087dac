package simulator

import (
	"context"
	crand "crypto/rand"
	"errors"
	"log/slog"
	"math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"time"
)

// Config tunes a Simulator. Zero fields take the defaults shown.
type Config struct {
	Token     string  // the admin user's access token; required
	UserToken string  // the non-admin user's access token; "" = no such user can log in
	Version   string  // ha_version reported; default "2025.7.2"
	Seed      int64   // random seed of the home's activity; a fixed seed gives the same sequence of events (only sun.sun follows the real clock)
	Rate      float64 // mean activity steps per second driven by Run; 0 = default 2; negative = no automatic activity (tests drive it with Step/SetState)

	// Faults from the start, for demos and `hasse simulate` (faults.go has the methods tests use).
	FailAuth     bool          // refuse every token with auth_invalid until RefuseAuth(false), as a revoked token would
	DropEvery    time.Duration // > 0: Run drops every connection this often (DropConnections: TCP reset, no close frame)
	RestartEvery time.Duration // > 0: Run restarts Home Assistant this often (Restart: close, some states change)
	// StartupTime > 0 makes every restart a staged start that lasts this long (Restart,
	// RestartStaged): get_config says NOT_RUNNING, then STARTING, with integrations loading in
	// stages and placeholders for the entities not loaded yet, until homeassistant_started. 0 =
	// a restart is over at once.
	StartupTime time.Duration

	// LoginAttemptsThreshold > 0 bans a remote address, as Home Assistant's ip_ban_enabled with
	// login_attempts_threshold does, after that many failed logins (a WebSocket auth_invalid for a
	// wrong token, a 401 from GET /api/) without a successful WebSocket login in between: every
	// later request from it is answered 403 for the Simulator's life ([Simulator.Banned] lists
	// them). 0 = no bans.
	LoginAttemptsThreshold int
	// FailedLoginDelay is how long a refused WebSocket login takes to be counted after its
	// auth_invalid was sent (Home Assistant looks up the address's name first, which can take
	// seconds); the connection closes once it is counted. 0 = at once, still after the reply.
	FailedLoginDelay time.Duration
}

// DefaultVersion is the Home Assistant version a Simulator reports unless told otherwise.
const DefaultVersion = "2025.7.2"

// Simulator is a Home Assistant look-alike: a simulated home whose states and events are served
// over Home Assistant's WebSocket API. [Simulator.Run] is the home's only goroutine and owns its
// states, subscriptions and randomness; everything else (connections, Step, SetState, …) sends it
// requests. Its methods are safe for concurrent use.
type Simulator struct {
	cfg   Config
	log   *slog.Logger
	users []*user // fixed by New
	mux   *http.ServeMux

	home    *home          // owned by Run's goroutine
	reqs    chan request   // to Run's goroutine
	stopped chan struct{}  // closed when Run stops serving requests
	ran     atomic.Bool    // Run was called
	conns   sync.WaitGroup // open WebSocket connections; Add only on Run's goroutine
	timing  *rand.Rand     // Run's step intervals, apart from the activity's randomness

	authTimeout time.Duration // how long a client has to authenticate; tests shorten it
	heartbeat   time.Duration // quiet time before HA's protocol ping; tests may change it
	refuseAuth  atomic.Bool   // RefuseAuth: every token is refused
	throttle    atomic.Int64  // Throttle: bytes per second every connection may be sent; ≤ 0 = no limit
	bans        *bans         // failed logins and banned addresses, by remote address
}

// New returns a Simulator of the built-in home, ready to serve once [Simulator.Run] runs. It starts
// nothing.
func New(cfg Config, log *slog.Logger) (*Simulator, error) {
	if cfg.Token == "" {
		return nil, errors.New("simulator: config: Token is required")
	}
	if cfg.UserToken == cfg.Token {
		return nil, errors.New("simulator: config: UserToken must differ from Token")
	}
	if cfg.Version == "" {
		cfg.Version = DefaultVersion
	}
	if strings.ContainsAny(cfg.Version, "\"\\") {
		return nil, errors.New("simulator: config: Version holds a quote or backslash")
	}
	if cfg.Rate == 0 {
		cfg.Rate = 2
	}
	if cfg.DropEvery < 0 || cfg.RestartEvery < 0 || cfg.StartupTime < 0 {
		return nil, errors.New("simulator: config: DropEvery, RestartEvery and StartupTime must not be negative")
	}
	if cfg.LoginAttemptsThreshold < 0 {
		return nil, errors.New("simulator: config: LoginAttemptsThreshold must not be negative")
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	seed := uint64(cfg.Seed)
	identity := rand.New(rand.NewPCG(seed, 1))
	s := &Simulator{
		cfg:     cfg,
		log:     log,
		users:   newUsers(cfg, identity),
		reqs:    make(chan request),
		stopped: make(chan struct{}),
		timing:  rand.New(rand.NewPCG(seed, 3)),

		authTimeout: authTimeout,
		heartbeat:   heartbeat,
		bans:        newBans(cfg.LoginAttemptsThreshold, log),
	}
	s.refuseAuth.Store(cfg.FailAuth)
	s.home = newHome(s, time.Now(), identity, rand.New(rand.NewPCG(seed, 2)), rand.New(rand.NewChaCha8(randomSeed())))
	s.mux = s.routes()
	return s, nil
}

// randomSeed returns 32 bytes from the operating system, for context ids that differ across runs.
func randomSeed() [32]byte {
	var b [32]byte
	_, _ = crand.Read(b[:]) // never fails on supported platforms
	return b
}

// Run is the home's clock and its only goroutine: it serves the requests of connections and of
// the methods below, takes activity steps at cfg.Rate, and drops or restarts every connection
// every cfg.DropEvery or cfg.RestartEvery, until ctx ends. Then it closes every WebSocket
// connection and returns nil once their goroutines have exited. Calls made before Run starts
// wait for it; calls made after it returned do nothing. Run may be called once.
func (s *Simulator) Run(ctx context.Context) error {
	if !s.ran.CompareAndSwap(false, true) {
		return errors.New("simulator: Run called twice")
	}
	h := s.home
	var tick <-chan time.Time
	var timer *time.Timer
	if s.cfg.Rate > 0 {
		timer = time.NewTimer(s.nextStep())
		defer timer.Stop()
		tick = timer.C
	}
	drops, dropsStop := every(s.cfg.DropEvery)
	defer dropsStop()
	restarts, restartsStop := every(s.cfg.RestartEvery)
	defer restartsStop()
	for {
		select {
		case r := <-s.reqs:
			r.f(h)
			h.flush()
			close(r.done)
			continue
		case <-tick:
			h.step()
			timer.Reset(s.nextStep())
		case <-drops:
			h.dropConnections()
		case <-restarts:
			h.restartAsConfigured()
		case <-h.startTimer():
			h.continueStart()
		case <-ctx.Done():
			s.stop(h)
			return nil
		}
		h.flush()
	}
}

// every ticks every d; never when d is 0.
func every(d time.Duration) (<-chan time.Time, func()) {
	if d <= 0 {
		return nil, func() {}
	}
	t := time.NewTicker(d)
	return t.C, t.Stop
}

// stop ends serving: no request is taken any more, every connection is told to end, and stop
// returns once their goroutines have.
func (s *Simulator) stop(h *home) {
	close(s.stopped)
	for c := range h.conns {
		c.cancel()
	}
	s.conns.Wait()
}

// nextStep draws the wait before the next activity step: exponential with mean 1/Rate seconds.
func (s *Simulator) nextStep() time.Duration {
	return time.Duration(s.timing.ExpFloat64() / s.cfg.Rate * float64(time.Second))
}

// request is work for Run's goroutine: f runs there, then the messages it queued are handed to
// the connections' writers, then done is closed.
type request struct {
	f    func(*home)
	done chan struct{}
}

// do runs f on Run's goroutine and waits until f has run and its messages are on their way. It
// reports false, without running f, when Run has stopped or ctx ended first.
func (s *Simulator) do(ctx context.Context, f func(*home)) bool {
	r := request{f: f, done: make(chan struct{})}
	select {
	case s.reqs <- r:
		<-r.done
		return true
	case <-s.stopped:
		return false
	case <-ctx.Done():
		return false
	}
}

// Step takes one activity step now: a sensor drifts, motion fires or clears, a door opens, an
// automation or script runs, … The sequence of steps is fixed by cfg.Seed and the steps before.
// While Home Assistant is starting (RestartStaged) the home holds still: Step does nothing.
func (s *Simulator) Step() {
	s.do(context.Background(), (*home).step)
}

// SetState writes a state as Home Assistant's state machine does: an entity that is new is
// created; a write whose state and attributes equal the current ones only moves last_reported;
// any other fires state_changed (and the automations it triggers). attributes is copied; nil means
// none. The write carries a fresh context with no user.
func (s *Simulator) SetState(entityID, state string, attributes map[string]any) {
	attrs := cloneValue(attributes).(map[string]any)
	s.do(context.Background(), func(h *home) {
		h.write(entityID, state, attrs, h.newContext("", ""))
	})
}

// RemoveState removes an entity's state, firing state_changed with new_state null. Removing an
// unknown entity does nothing.
func (s *Simulator) RemoveState(entityID string) {
	s.do(context.Background(), func(h *home) { h.remove(entityID) })
}

// FireEvent fires an event of any type on the bus, with a fresh context; data is copied, nil means
// {}.
func (s *Simulator) FireEvent(eventType string, data map[string]any) {
	d := cloneValue(data).(map[string]any)
	s.do(context.Background(), func(h *home) {
		h.fire(eventType, d, h.newContext("", ""), h.now())
	})
}

// States returns deep copies of the current states, sorted by entity id. After Run has returned it
// returns nil.
func (s *Simulator) States() []State {
	var out []State
	s.do(context.Background(), func(h *home) {
		out = make([]State, 0, len(h.states))
		for _, st := range h.states {
			out = append(out, st.clone())
		}
	})
	slices.SortFunc(out, func(a, b State) int { return strings.Compare(a.EntityID, b.EntityID) })
	return out
}
