package stats

import (
	"cmp"
	"context"
	"fmt"
	"log/slog"
	"slices"
	"strconv"
	"strings"
	"time"
)

// Alert states (SPEC.md §6.5). An alert with no state is inactive.
const (
	StatePending  = "pending"
	StateFiring   = "firing"
	StateResolved = "resolved"
	StateInactive = "inactive"
)

// Metrics an alert rule may watch, each read from one sample.
var ruleMetrics = map[string]func(c *Collector, s *Sample) float64{
	"connections":     func(_ *Collector, s *Sample) float64 { return float64(s.Connections) },
	"connections_pct": connectionsPct,
	"event_rate":      func(_ *Collector, s *Sample) float64 { return s.Rate },
	"memory":          func(_ *Collector, s *Sample) float64 { return float64(s.Memory) },
	"cpu":             func(_ *Collector, s *Sample) float64 { return s.CPU },
	"latency_p99":     func(_ *Collector, s *Sample) float64 { return s.Latency.Quantile(0.99) },
	"error_rate":      func(c *Collector, s *Sample) float64 { return float64(s.Drops) / c.cfg.Interval.Minutes() },
	"backlog":         func(_ *Collector, s *Sample) float64 { return float64(s.Backlog) },

	"delivery_success_rate": func(_ *Collector, s *Sample) float64 { return s.SuccessRate() },
	"bandwidth":             func(_ *Collector, s *Sample) float64 { return s.ByteRate },
	"disk_write":            func(_ *Collector, s *Sample) float64 { return s.DiskWriteRate },
	"goroutines":            func(_ *Collector, s *Sample) float64 { return float64(s.Goroutines) },
	"threads":               func(_ *Collector, s *Sample) float64 { return float64(s.Threads) },
}

func connectionsPct(c *Collector, s *Sample) float64 {
	if c.cfg.MaxClients == 0 {
		return 0
	}
	return float64(s.Connections) * 100 / float64(c.cfg.MaxClients)
}

// Rule raises an alert when Metric stays above Threshold (below it, with Below) for For.
// Metrics: connections, connections_pct (% of the connection limit), event_rate (events written
// to clients per second), memory (bytes), cpu (% of one core), latency_p99 (ms), error_rate
// (clients dropped as slow consumers per minute), backlog (events queued to clients),
// delivery_success_rate (% of the events that should have reached a client that did),
// bandwidth (bytes written to clients per second), disk_write (bytes written to storage per
// second), goroutines, threads (OS threads).
type Rule struct {
	Name      string   `json:"name"` // unique; default: the metric's name
	Metric    string   `json:"metric"`
	Threshold float64  `json:"threshold"`
	For       Duration `json:"for"`
	Below     bool     `json:"below,omitempty"` // alert when the metric is under the threshold
}

// breached reports whether v is past r's threshold.
func (r *Rule) breached(v float64) bool {
	if r.Below {
		return v < r.Threshold
	}
	return v > r.Threshold
}

// Duration is a time.Duration written in JSON as Go writes durations ("1m30s").
type Duration time.Duration

// MarshalText writes d as "1m30s".
func (d Duration) MarshalText() ([]byte, error) { return []byte(time.Duration(d).String()), nil }

// UnmarshalText reads a non-negative duration as time.ParseDuration does.
func (d *Duration) UnmarshalText(b []byte) error {
	v, err := time.ParseDuration(string(b))
	if err != nil || v < 0 {
		return fmt.Errorf("%q is not a duration like 30s or 5m", b)
	}
	*d = Duration(v)
	return nil
}

// DefaultRules returns the rules a collector has when its Config names none.
func DefaultRules() []Rule {
	return []Rule{
		{Name: "connections_pct", Metric: "connections_pct", Threshold: 80, For: Duration(time.Minute)},
		{Name: "latency_p99", Metric: "latency_p99", Threshold: 1000, For: Duration(time.Minute)},
		{Name: "cpu", Metric: "cpu", Threshold: 90, For: Duration(5 * time.Minute)},
		{Name: "backlog", Metric: "backlog", Threshold: 10000, For: Duration(time.Minute)},
		{Name: "error_rate", Metric: "error_rate", Threshold: 10, For: Duration(time.Minute)},
	}
}

// ParseRules reads rules written as metric>threshold[:for] or metric<threshold[:for], comma
// separated, e.g. "connections_pct>80:1m,latency_p99>250:30s,delivery_success_rate<99:1m".
// "none" and "" are no rules.
func ParseRules(text string) ([]Rule, error) {
	rules := []Rule{}
	if strings.TrimSpace(text) == "none" {
		return rules, nil
	}
	for item := range strings.SplitSeq(text, ",") {
		if item = strings.TrimSpace(item); item == "" {
			continue
		}
		i := strings.IndexAny(item, "<>")
		if i < 0 {
			return nil, fmt.Errorf("alert rule %q: want metric>threshold[:for] or metric<threshold[:for], like cpu>90:5m", item)
		}
		metric, rest := item[:i], item[i+1:]
		thr, dur, _ := strings.Cut(rest, ":")
		r := Rule{Name: strings.TrimSpace(metric), Metric: strings.TrimSpace(metric), Below: item[i] == '<'}
		var err error
		if r.Threshold, err = strconv.ParseFloat(strings.TrimSpace(thr), 64); err != nil {
			return nil, fmt.Errorf("alert rule %q: threshold %q is not a number", item, thr)
		}
		if dur != "" {
			if err := r.For.UnmarshalText([]byte(strings.TrimSpace(dur))); err != nil {
				return nil, fmt.Errorf("alert rule %q: %w", item, err)
			}
		}
		rules = append(rules, r)
	}
	return rules, checkRules(rules)
}

// RuleError is an invalid alert rule.
type RuleError struct{ msg string }

// Error returns the rule's problem in plain words.
func (e *RuleError) Error() string { return e.msg }

func ruleErrorf(format string, args ...any) error { return &RuleError{fmt.Sprintf(format, args...)} }

// checkRules fills default names and refuses unknown metrics and repeated names.
func checkRules(rules []Rule) error {
	seen := make(map[string]bool)
	for i := range rules {
		r := &rules[i]
		r.Name = cmp.Or(r.Name, r.Metric)
		switch {
		case ruleMetrics[r.Metric] == nil:
			return ruleErrorf("alert rule %q: unknown metric %q", r.Name, r.Metric)
		case seen[r.Name]:
			return ruleErrorf("alert rule %q: name used twice", r.Name)
		case r.For < 0:
			return ruleErrorf("alert rule %q: negative duration", r.Name)
		}
		seen[r.Name] = true
	}
	return nil
}

// Alert is the state of one rule's alert.
type Alert struct {
	Rule       string     `json:"rule"`
	Metric     string     `json:"metric"`
	Threshold  float64    `json:"threshold"`
	For        Duration   `json:"for"`
	Below      bool       `json:"below,omitempty"` // the alert is for a metric under its threshold
	State      string     `json:"state"`
	Value      float64    `json:"value"`                 // the metric at the last evaluation
	ActiveAt   time.Time  `json:"active_at"`             // when the metric went past the threshold
	FiredAt    *time.Time `json:"fired_at,omitempty"`    // when the alert began firing
	ResolvedAt *time.Time `json:"resolved_at,omitempty"` // when it stopped
}

// Transition is an alert changing state, as logged and pushed to subscribers.
type Transition struct {
	Alert
	From string    `json:"from"`
	At   time.Time `json:"at"`
}

// evaluate checks every rule against s and moves each alert along pending → firing → resolved.
func (c *Collector) evaluate(s *Sample) {
	for _, r := range c.rules {
		v := ruleMetrics[r.Metric](c, s)
		breached := r.breached(v)
		a := c.alerts[r.Name]
		switch {
		case breached && a == nil:
			a = &Alert{Rule: r.Name, Metric: r.Metric, Threshold: r.Threshold, For: r.For, Below: r.Below, State: StateInactive, ActiveAt: s.Time}
			c.alerts[r.Name] = a
			a.Value = v
			c.transition(a, StatePending, s.Time)
			fallthrough
		case breached && a.State == StatePending:
			a.Value = v
			if s.Time.Sub(a.ActiveAt) >= time.Duration(r.For) {
				t := s.Time
				a.FiredAt = &t
				c.transition(a, StateFiring, s.Time)
			}
		case breached:
			a.Value = v
		case a == nil:
		case a.State == StatePending:
			a.Value = v
			delete(c.alerts, r.Name)
			c.transition(a, StateInactive, s.Time)
		case a.State == StateFiring:
			a.Value = v
			t := s.Time
			a.ResolvedAt = &t
			delete(c.alerts, r.Name)
			c.transition(a, StateResolved, s.Time)
			c.recent = append(c.recent, *a)
			if len(c.recent) > 50 {
				c.recent = slices.Delete(c.recent, 0, len(c.recent)-50)
			}
		}
	}
}

// transition moves a to state: logged once, and pushed to every subscriber that keeps up.
func (c *Collector) transition(a *Alert, state string, at time.Time) {
	tr := Transition{Alert: *a, From: a.State, At: at}
	a.State, tr.State = state, state
	level := slog.LevelInfo
	if state == StateFiring {
		level = slog.LevelWarn
	}
	c.log.LogAttrs(context.Background(), level, "alert "+state, slog.String("alert", a.Rule),
		slog.String("from", tr.From), slog.Float64("value", a.Value), slog.Float64("threshold", a.Threshold))
	for ch := range c.subscribers {
		select {
		case ch <- tr:
		default: // a subscriber that does not keep up misses transitions, never stalls the collector
		}
	}
}

// Alerts is the answer of GET /api/sse/alerts.
type Alerts struct {
	Rules  []Rule  `json:"rules"`
	Active []Alert `json:"active"` // pending and firing
	Recent []Alert `json:"recent"` // resolved, newest first
}

// Alerts returns the rules, the alerts pending or firing and those resolved lately.
func (c *Collector) Alerts(ctx context.Context) (Alerts, bool) {
	var out Alerts
	ok := c.query(ctx, func() {
		out.Rules = slices.Clone(c.rules)
		out.Active = []Alert{}
		for _, r := range c.rules {
			if a := c.alerts[r.Name]; a != nil {
				out.Active = append(out.Active, *a)
			}
		}
		out.Recent = slices.Clone(c.recent)
		slices.Reverse(out.Recent)
		if out.Recent == nil {
			out.Recent = []Alert{}
		}
	})
	return out, ok
}

// SetRules replaces the alert rules and keeps them in the history file, if there is one (see
// [SavedRules]). Alerts of rules that are gone, or whose metric, threshold or duration changed,
// start over. It fails with a *[RuleError] on an invalid rule, leaving the
// rules as they were, or with ctx's error.
func (c *Collector) SetRules(ctx context.Context, rules []Rule) error {
	rules = slices.Clone(rules)
	if err := checkRules(rules); err != nil {
		return err
	}
	if !c.query(ctx, func() {
		for _, old := range c.rules {
			if i := slices.IndexFunc(rules, func(r Rule) bool { return r.Name == old.Name }); i < 0 || rules[i] != old {
				delete(c.alerts, old.Name)
			}
		}
		c.rules = rules
		if c.cfg.Store != nil && c.storeErr == nil {
			if err := c.write(func(h Store) error { return h.SaveRules(SavedRules{Rules: rules, Replaced: c.cfg.Rules}) }); err != nil {
				c.storeFailed("save alert rules", err)
			}
		}
	}) {
		return cmp.Or(ctx.Err(), context.Canceled)
	}
	return nil
}

// Subscribe returns a channel of alert transitions, closed when cancel is called or the collector
// stops. A subscriber that lets 16 transitions wait misses the ones after.
func (c *Collector) Subscribe(ctx context.Context) (<-chan Transition, func()) {
	ch := make(chan Transition, 16)
	if !c.query(ctx, func() { c.subscribers[ch] = struct{}{} }) {
		close(ch)
		return ch, func() {}
	}
	return ch, func() {
		c.query(context.Background(), func() {
			if _, ok := c.subscribers[ch]; ok {
				delete(c.subscribers, ch)
				close(ch)
			}
		})
	}
}
