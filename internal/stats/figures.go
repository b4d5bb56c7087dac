package stats

import (
	"cmp"
	"time"

	"hasse/internal/hub"
)

// The figures of the statistics that came after seed 1's (issue 19): delivery success,
// bandwidth, connection durations, protocols, geography, disk I/O, and the connection and
// thread pools.

// Delivery says how many of the events that should have reached a client did.
type Delivery struct {
	Delivered         int64   `json:"delivered"`           // events written to clients, as total_events_sent
	Undelivered       int64   `json:"undelivered"`         // dropped with a slow consumer's queue, or carried by a write that failed
	SuccessRate       float64 `json:"success_rate"`        // % delivered of delivered + undelivered, since the start; 100 when none
	RecentSuccessRate float64 `json:"recent_success_rate"` // the same over the last sampling interval
}

// ConnectionDurations describes how long the open connections have been open.
type ConnectionDurations struct {
	Average      float64  `json:"average"`      // seconds
	Max          float64  `json:"max"`          // the oldest, seconds
	Distribution []Bucket `json:"distribution"` // open connections by age, shortest first
}

// Geography is where the open connections come from.
type Geography struct {
	Networks   map[string]int `json:"networks"`            // loopback, private, link-local, public, other
	IPVersions map[string]int `json:"ip_versions"`         // IPv4, IPv6
	Countries  map[string]int `json:"countries,omitempty"` // ISO code, "unknown" for public addresses the database does not know; with a database only
	Cities     map[string]int `json:"cities,omitempty"`    // "Stockholm, SE"; with a City database only
	Database   string         `json:"database,omitempty"`  // the geographic database's type, when one is configured
}

// DiskIO is the process's storage traffic and the history store's writes.
type DiskIO struct {
	ReadBytes           int64   `json:"read_bytes"`  // from storage since the process started (Linux; 0 elsewhere)
	WriteBytes          int64   `json:"write_bytes"` // to storage since the process started
	ReadBytesPerSecond  float64 `json:"read_bytes_per_second"`
	WriteBytesPerSecond float64 `json:"write_bytes_per_second"`
	HistoryWrites       int64   `json:"history_writes"`        // transactions written to the statistics history file
	HistoryWriteSeconds float64 `json:"history_write_seconds"` // the time they took
}

// openFigures are what the open connections show together.
type openFigures struct {
	backlog   int
	durations ConnectionDurations
	protocols map[string]int
	tls       int
	geography Geography
}

// figuresOf adds up the open clients in list at now.
func (c *Collector) figuresOf(list []*hub.Client, now time.Time) openFigures {
	f := openFigures{
		protocols: map[string]int{},
		geography: Geography{Networks: map[string]int{}, IPVersions: map[string]int{}},
	}
	if c.cfg.Geo != nil {
		f.geography.Countries, f.geography.Cities = map[string]int{}, map[string]int{}
		f.geography.Database = c.cfg.Geo.Type()
	}
	var ages Durations
	var sum float64
	for _, cl := range list {
		f.backlog += cl.QueuedEvents()
		age := max(now.Sub(cl.ConnectedAt), 0)
		ages[durationBucket(age)]++
		sum += age.Seconds()
		f.durations.Max = max(f.durations.Max, age.Seconds())
		f.protocols[cmp.Or(cl.Protocol, "unknown")]++
		if cl.TLS != "" {
			f.tls++
		}
		p := c.placeOf(cl.RemoteAddr)
		f.geography.Networks[p.Network]++
		if p.IPVersion != "" {
			f.geography.IPVersions[p.IPVersion]++
		}
		switch {
		case c.cfg.Geo == nil:
		case p.Country != "":
			f.geography.Countries[p.Country]++
			if p.City != "" {
				f.geography.Cities[p.City+", "+p.Country]++
			}
		case p.Network == "public":
			f.geography.Countries["unknown"]++
		}
	}
	if len(list) > 0 {
		f.durations.Average = sum / float64(len(list))
	}
	f.durations.Distribution = ages.Buckets()
	return f
}

// diskIONow returns the disk figures: totals now, rates of the last sample.
func (c *Collector) diskIONow(last *Sample) DiskIO {
	read, written, _ := diskIO()
	return DiskIO{
		ReadBytes:           read,
		WriteBytes:          written,
		ReadBytesPerSecond:  last.DiskReadRate,
		WriteBytesPerSecond: last.DiskWriteRate,
		HistoryWrites:       c.histOps.Load(),
		HistoryWriteSeconds: time.Duration(c.histTime.Load()).Seconds(),
	}
}
