package stats

import (
	"runtime"
	"time"

	"hasse/internal/writer"
)

// poolSource reports the writer pool's shards.
type poolSource struct {
	status func() []writer.ShardStatus
}

// SetPool has the statistics show the load of the writer pool whose shards status reports;
// nil: there is no pool (every stream is written by its own handler). The HTTP server calls it
// when it starts its pool.
func (c *Collector) SetPool(status func() []writer.ShardStatus) {
	if status == nil {
		c.pool.Store(nil)
		return
	}
	c.pool.Store(&poolSource{status})
}

func (c *Collector) shards() []writer.ShardStatus {
	if p := c.pool.Load(); p != nil {
		return p.status()
	}
	return nil
}

// ConnectionPool is the state of the connection slots and the writer pool that serves them.
type ConnectionPool struct {
	Limit     int     `json:"limit"`     // connections the gateway may hold (MCP_SSE_MAX_CLIENTS); 0: unknown
	Open      int     `json:"open"`      // connections open now
	Available int     `json:"available"` // slots free
	Pooled    int     `json:"pooled"`    // open connections the writer pool serves; the rest have a goroutine each (HTTP/2, TLS)
	Shards    []Shard `json:"shards"`    // the writer pool's goroutines; empty without a pool
}

// Shard is one of the writer pool's goroutines and its load.
type Shard struct {
	Connections int     `json:"connections"`
	Writes      uint64  `json:"writes"`     // writes to sockets so far
	BytesSent   uint64  `json:"bytes_sent"` // bytes the sockets took so far
	Busy        float64 `json:"busy"`       // % of the last sampling interval spent writing
}

// ThreadPool is the state of the Go scheduler's goroutines and threads.
type ThreadPool struct {
	Goroutines int `json:"goroutines"`
	OSThreads  int `json:"os_threads"`
	GOMAXPROCS int `json:"gomaxprocs"` // threads that may run Go code at once
	CPUs       int `json:"cpus"`
	Writers    int `json:"writers"` // goroutines of the writer pool, one per shard
}

// connectionPool describes the slots with open connections open, and the pool's shards with the
// busy shares of the last sample.
func (c *Collector) connectionPool(open int, busy []float64) ConnectionPool {
	cp := ConnectionPool{Limit: c.cfg.MaxClients, Open: open, Shards: []Shard{}}
	if cp.Limit > 0 {
		cp.Available = max(cp.Limit-open, 0)
	}
	for i, s := range c.shards() {
		sh := Shard{Connections: s.Connections, Writes: s.Writes, BytesSent: s.Bytes}
		if i < len(busy) {
			sh.Busy = busy[i]
		}
		cp.Pooled += s.Connections
		cp.Shards = append(cp.Shards, sh)
	}
	return cp
}

func (c *Collector) threadPool() ThreadPool {
	return ThreadPool{
		Goroutines: runtime.NumGoroutine(),
		OSThreads:  osThreads(),
		GOMAXPROCS: runtime.GOMAXPROCS(0),
		CPUs:       runtime.NumCPU(),
		Writers:    len(c.shards()),
	}
}

// busyShares returns the % of elapsed each shard spent writing between prev and now.
func busyShares(prev, now []writer.ShardStatus, elapsed time.Duration) []float64 {
	out := make([]float64, len(now))
	for i, s := range now {
		busy := s.Busy
		if i < len(prev) {
			busy -= prev[i].Busy
		}
		if elapsed > 0 {
			out[i] = min(max(float64(busy)*100/float64(elapsed), 0), 100)
		}
	}
	return out
}
