package geo

import (
	"fmt"
	"net/netip"

	"github.com/oschwald/maxminddb-golang/v2"
)

// DB is a MaxMind-format database (.mmdb) of countries or cities. Its methods are safe for
// concurrent use; a nil *DB knows no country.
type DB struct {
	r *maxminddb.Reader
}

// Open opens the database file at path (memory-mapped) and checks that it can be read.
func Open(path string) (*DB, error) {
	r, err := maxminddb.Open(path)
	if err != nil {
		return nil, err
	}
	if r.Metadata.IPVersion != 4 && r.Metadata.IPVersion != 6 {
		r.Close()
		return nil, fmt.Errorf("%s: not a MaxMind-format database (IP version %d)", path, r.Metadata.IPVersion)
	}
	return &DB{r: r}, nil
}

// Type returns the database's type as its metadata names it, e.g. "GeoLite2-City".
func (d *DB) Type() string { return d.r.Metadata.DatabaseType }

// Close releases the file.
func (d *DB) Close() error { return d.r.Close() }

// Locate returns where addr is: its class always, and its country and city when d knows them.
// A record without a country of its own gives its registered country.
func (d *DB) Locate(addr string) Place {
	p := Classify(addr)
	if d == nil || p.Network != Public && p.Network != Private {
		return p
	}
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return p
	}
	res := d.r.Lookup(a.Unmap())
	if !res.Found() {
		return p
	}
	_ = res.DecodePath(&p.Country, "country", "iso_code")
	if p.Country == "" {
		_ = res.DecodePath(&p.Country, "registered_country", "iso_code")
	}
	_ = res.DecodePath(&p.City, "city", "names", "en")
	return p
}
