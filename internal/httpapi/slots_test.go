package httpapi

import (
	"context"
	"errors"
	"testing"
	"testing/synctest"
	"time"
)

// TestSlotsBoundWhatIsServedAtOnce checks that a request beyond the slots waits in line until one
// is given back, and is refused 503 when none is within the wait, or gives up when its client goes.
func TestSlotsBoundWhatIsServedAtOnce(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		s := make(slots, 2)
		first, err1 := s.enter(t.Context(), context.Background(), time.Second)
		_, err2 := s.enter(t.Context(), context.Background(), time.Second)
		if err1 != nil || err2 != nil {
			t.Fatalf("two requests in two slots: %v, %v", err1, err2)
		}

		start := time.Now()
		_, err := s.enter(t.Context(), context.Background(), 10*time.Second)
		var ae *apiError
		if !errors.As(err, &ae) || ae.status != 503 || ae.code != "SERVICE_OVERLOADED" || time.Since(start) != 10*time.Second {
			t.Errorf("a third with both slots held: %v after %v; want 503 SERVICE_OVERLOADED after 10s", err, time.Since(start))
		}

		done := make(chan error)
		go func() {
			release, err := s.enter(t.Context(), context.Background(), 10*time.Second)
			if err == nil {
				release()
			}
			done <- err
		}()
		synctest.Wait() // it waits in line
		time.Sleep(3 * time.Second)
		first()
		if err := <-done; err != nil || time.Since(start) != 13*time.Second {
			t.Errorf("a request in line when a slot freed up: %v at +%v, want served at +13s", err, time.Since(start))
		}

		if _, err := s.enter(t.Context(), context.Background(), time.Second); err != nil { // both held again
			t.Fatal(err)
		}
		stop, stopping := context.WithCancel(t.Context())
		go func() { _, err := s.enter(t.Context(), stop, time.Minute); done <- err }()
		synctest.Wait()
		stopping()
		if err := <-done; !errors.As(err, &ae) || ae.status != 503 || time.Since(start) != 13*time.Second {
			t.Errorf("a request in line when the server began to stop: %v at +%v, want 503 at once", err, time.Since(start))
		}

		ctx, cancel := context.WithCancel(t.Context())
		go func() { _, err := s.enter(ctx, context.Background(), time.Minute); done <- err }()
		synctest.Wait()
		cancel()
		if err := <-done; !errors.Is(err, context.Canceled) {
			t.Errorf("a request in line whose client went: %v, want context.Canceled", err)
		}
	})
}
