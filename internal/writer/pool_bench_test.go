//go:build linux

package writer

import (
	"bufio"
	"bytes"
	"strconv"
	"sync"
	"testing"

	"hasse/internal/hub"
)

// BenchmarkFanout measures one event delivered to 1,000 loopback clients through the hub and
// the pool: the server's side of SPEC.md §9's fan-out scenario, though the clients read in this
// process too. Per op: one event, 1,000 deliveries.
func BenchmarkFanout(b *testing.B) {
	const clients = 1000
	r := startRig(b, hub.Config{}, Config{})
	var all sync.WaitGroup
	for range clients {
		rd := r.connect()
		all.Go(func() {
			for n := 0; n < b.N; {
				line, err := rd.ReadSlice('\n')
				if err != nil && err != bufio.ErrBufferFull {
					b.Errorf("a client got %d events, want %d: %v", n, b.N, err)
					return
				}
				if bytes.HasPrefix(line, []byte("event: state_changed")) {
					n++
				}
			}
		})
	}
	b.ResetTimer()
	for i := range b.N {
		r.hub.Publish(stateEvent("light.bench", strconv.Itoa(i)))
	}
	all.Wait()
}
