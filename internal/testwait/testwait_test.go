package testwait

import (
	"fmt"
	"runtime"
	"testing"
	"time"
)

func TestForReturnsOnceTheConditionHolds(t *testing.T) {
	calls := 0
	For(t, 10*time.Second, "the third look", func() bool { calls++; return calls == 3 })
	if calls != 3 {
		t.Errorf("cond called %d times, want 3: For returns at the first look that holds", calls)
	}
}

func TestGentlyReturnsOnceTheConditionHolds(t *testing.T) {
	calls := 0
	Gently(t, 10*time.Second, "the second look", func() bool { calls++; return calls == 2 })
	if calls != 2 {
		t.Errorf("cond called %d times, want 2: Gently returns at the first look that holds", calls)
	}
}

func TestWaitsFailTheTestAfterTheLimit(t *testing.T) {
	for name, wait := range map[string]func(testing.TB, time.Duration, string, func() bool){"For": For, "Gently": Gently} {
		rec := &recorder{TB: t}
		done := make(chan struct{})
		go func() { // Fatalf ends the goroutine it is called on, as in a test
			defer close(done)
			wait(rec, 30*time.Millisecond, "never", func() bool { return false })
		}()
		<-done
		if rec.msg != "never: not within 30ms" {
			t.Errorf("%s: failure %q, want it to name what was waited for and the limit", name, rec.msg)
		}
	}
}

// recorder keeps what Fatalf was told instead of failing the test.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Fatalf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
	runtime.Goexit()
}
