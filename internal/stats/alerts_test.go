package stats

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"testing"
	"testing/synctest"
	"time"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hub"
)

// syncBuffer is a log destination that goroutines may share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// TestAlertOnConnectionSurge: 6 of 10 allowed connections open at once; the rule
// connections_pct>50 for 30s goes pending at the first sample, fires 30 s later, and resolves at
// the first sample after the surge ends. Each transition is logged once and pushed to a subscriber.
func TestAlertOnConnectionSurge(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var logs syncBuffer
		rule := Rule{Name: "surge", Metric: "connections_pct", Threshold: 50, For: Duration(30 * time.Second)}
		r := newRigLog(t, Config{Interval: 10 * time.Second, MaxClients: 10, Rules: []Rule{rule}}, hub.Config{},
			slog.New(slog.NewTextHandler(&logs, nil)))
		defer r.stop()
		transitions, cancel := r.c.Subscribe(context.Background())
		defer cancel()
		start := time.Now()

		var leave []context.CancelFunc
		for i := range 6 {
			_, l := r.open(fmt.Sprintf("conn_%d", i))
			leave = append(leave, l)
		}
		time.Sleep(65 * time.Second) // samples at 10 (pending) … 40 (firing), 50, 60
		for _, l := range leave[:3] {
			l()
		}
		time.Sleep(10 * time.Second) // the sample at 70 s sees 3 connections
		synctest.Wait()

		type step struct {
			From, To string
			After    time.Duration
		}
		var got []step
		for len(transitions) > 0 {
			tr := <-transitions
			got = append(got, step{tr.From, tr.State, tr.At.Sub(start)})
		}
		want := []step{
			{StateInactive, StatePending, 10 * time.Second},
			{StatePending, StateFiring, 40 * time.Second},
			{StateFiring, StateResolved, 70 * time.Second},
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("transitions diff (-want +got):\n%s", diff)
		}
		for _, state := range []string{"pending", "firing", "resolved"} {
			if n := strings.Count(logs.String(), `msg="alert `+state+`"`); n != 1 {
				t.Errorf("%q logged %d times, want once:\n%s", "alert "+state, n, logs.String())
			}
		}
		a, _ := r.c.Alerts(context.Background())
		if len(a.Active) != 0 || len(a.Recent) != 1 || a.Recent[0].State != StateResolved || a.Recent[0].Value != 30 {
			t.Errorf("Alerts() = %+v, want none active and the surge resolved at 30 %%", a)
		}
	})
}

// TestAlertPendingThatClearsNeverFires: a surge shorter than the rule's duration goes pending and
// back to inactive, without firing.
func TestAlertPendingThatClearsNeverFires(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		rule := Rule{Metric: "connections", Threshold: 1, For: Duration(time.Minute)}
		r := newRig(t, Config{Interval: 10 * time.Second, Rules: []Rule{rule}}, hub.Config{})
		defer r.stop()
		transitions, cancel := r.c.Subscribe(context.Background())
		defer cancel()
		_, l1 := r.open("a")
		_, l2 := r.open("b")
		time.Sleep(15 * time.Second)
		if st := r.c.Stats(context.Background()); len(st.Alerts) != 1 || st.Alerts[0].State != StatePending {
			t.Errorf("Stats().Alerts = %+v, want the rule pending", st.Alerts)
		}
		l1()
		l2()
		time.Sleep(10 * time.Second)
		synctest.Wait()
		var states []string
		for len(transitions) > 0 {
			states = append(states, (<-transitions).State)
		}
		if want := []string{StatePending, StateInactive}; !cmp.Equal(states, want) {
			t.Errorf("states %v, want %v", states, want)
		}
	})
}

func TestSetRulesRestartsChangedAlerts(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		r := newRig(t, Config{Interval: 10 * time.Second, Rules: []Rule{{Metric: "connections", Threshold: 0}}}, hub.Config{})
		defer r.stop()
		r.open("a")
		time.Sleep(15 * time.Second) // firing at once: For is 0
		a, _ := r.c.Alerts(context.Background())
		if len(a.Active) != 1 || a.Active[0].State != StateFiring {
			t.Fatalf("active = %+v, want connections firing", a.Active)
		}
		if err := r.c.SetRules(context.Background(), []Rule{{Metric: "connections", Threshold: 5}}); err != nil {
			t.Fatal(err)
		}
		if a, _ = r.c.Alerts(context.Background()); len(a.Active) != 0 || a.Rules[0].Threshold != 5 {
			t.Errorf("after SetRules: %+v, want the new threshold and no active alert", a)
		}
		var re *RuleError
		if err := r.c.SetRules(context.Background(), []Rule{{Metric: "mood"}}); !errors.As(err, &re) {
			t.Errorf("SetRules(mood) = %v, want a RuleError", err)
		}
	})
}

func TestParseRules(t *testing.T) {
	got, err := ParseRules(" cpu>90:5m ,backlog>1e4")
	want := []Rule{{Name: "cpu", Metric: "cpu", Threshold: 90, For: Duration(5 * time.Minute)}, {Name: "backlog", Metric: "backlog", Threshold: 1e4}}
	if err != nil || !cmp.Equal(got, want) {
		t.Errorf("ParseRules = %+v, %v; want %+v", got, err, want)
	}
	if got, err := ParseRules("none"); err != nil || got == nil || len(got) != 0 {
		t.Errorf("ParseRules(none) = %#v, %v; want no rules", got, err)
	}
	for _, bad := range []string{"cpu", "cpu>x", "mood>1", "cpu>1:-5s", "cpu>1:soon"} {
		if _, err := ParseRules(bad); err == nil {
			t.Errorf("ParseRules(%q) accepted", bad)
		}
	}
}
