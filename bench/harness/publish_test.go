package main

import (
	"context"
	"encoding/json"
	"errors"
	"slices"
	"sync"
	"testing"
	"time"
)

// countingPublisher records the numbers it is asked to publish; it fails those in fail.
type countingPublisher struct {
	mu   sync.Mutex
	seqs []int64
	fail func(int64) bool
}

func (p *countingPublisher) publish(_ context.Context, seq int64) error {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.seqs = append(p.seqs, seq)
	if p.fail != nil && p.fail(seq) {
		return errors.New("refused")
	}
	return nil
}

func TestPace(t *testing.T) {
	pub := &countingPublisher{fail: func(seq int64) bool { return seq%10 == 0 }}
	p := pace(t.Context(), pub, 2000, 25*time.Millisecond, 4, 100)
	slices.Sort(pub.seqs)
	want := make([]int64, 50)
	for i := range want {
		want[i] = 100 + int64(i)
	}
	if !slices.Equal(pub.seqs, want) {
		t.Errorf("published %v, want 100…149 once each", pub.seqs)
	}
	if p.ok != 45 || p.failed != 5 || p.firstErr != "refused" || p.calls.count() != 45 {
		t.Errorf("ok %d, failed %d, first error %q, %d calls timed; want 45, 5, \"refused\", 45", p.ok, p.failed, p.firstErr, p.calls.count())
	}
}

// The raw payload is a light's state object with the stamp, padded as asked.
func TestRawPayload(t *testing.T) {
	for _, pad := range []int{0, 100} {
		b := appendRawPayload(nil, 3, 1700000000000000001, pad)
		var st struct {
			EntityID   string         `json:"entity_id"`
			State      string         `json:"state"`
			Attributes map[string]any `json:"attributes"`
		}
		if err := json.Unmarshal(b, &st); err != nil {
			t.Fatalf("pad %d: %s: %v", pad, b, err)
		}
		padding, _ := st.Attributes["pad"].(string)
		if stamp, ok := findStamp(b); !ok || stamp != 1700000000000000001 || st.EntityID != "light.bench_3" || len(padding) != pad {
			t.Errorf("pad %d: %s: stamp %d, %v, entity %q", pad, b, stamp, ok, st.EntityID)
		}
	}
}

// Once its context ends, pace sends nothing more and reports what it sent; without the stop
// these runs would last an hour.
func TestPaceStops(t *testing.T) {
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if p := pace(ctx, &countingPublisher{}, 1000, time.Hour, 1, 0); p.ok != 0 {
		t.Errorf("stopped before the start: published %d, want none", p.ok)
	}

	ctx, cancel = context.WithCancel(t.Context())
	pub := &countingPublisher{fail: func(seq int64) bool {
		if seq == 2 {
			cancel()
		}
		return false
	}}
	// After the stop at the third, only the events already handed over go out: the queue's 4
	// and the one being queued at most.
	if p := pace(ctx, pub, 1000, time.Hour, 1, 0); p.ok < 3 || p.ok > 3+1+4 || p.failed != 0 {
		t.Errorf("stopped at the third: published %d (%d failed), want 3 to 8", p.ok, p.failed)
	}
}
