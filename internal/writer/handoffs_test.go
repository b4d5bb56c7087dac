package writer

import (
	"testing"
	"testing/synctest"
)

func TestHandoffsCloseWaitsForEachEnteredAndRefusesLaterOnes(t *testing.T) {
	synctest.Test(t, func(t *testing.T) {
		var h handoffs
		if !h.enter() || !h.enter() {
			t.Fatal("enter refused before close")
		}
		closed := make(chan struct{})
		go func() { h.close(); close(closed) }()
		synctest.Wait()
		if h.enter() {
			t.Fatal("enter accepted while close waits")
		}
		h.leave()
		synctest.Wait()
		select {
		case <-closed:
			t.Fatal("close returned with one stream still entered")
		default:
		}
		h.leave()
		synctest.Wait()
		select {
		case <-closed:
		default:
			t.Fatal("close still waits after every stream left")
		}
		h.close() // a second close returns at once
	})
}

func TestHandoffsCloseWithNothingEnteredReturns(t *testing.T) {
	var h handoffs
	h.close()
	if h.enter() {
		t.Fatal("enter accepted after close")
	}
}
