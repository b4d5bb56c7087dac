// Package geotest writes tiny MaxMind-format databases for tests, with the maintained writer
// library github.com/maxmind/mmdbwriter, so that no test needs a downloaded database.
package geotest

import (
	"net"
	"os"
	"path/filepath"
	"testing"

	"github.com/maxmind/mmdbwriter"
	"github.com/maxmind/mmdbwriter/mmdbtype"
)

// Entry places a network (CIDR) in a country (ISO code) and, if City is set, a city.
type Entry struct {
	Network string
	Country string
	City    string
}

// Write writes a City database of entries, in the record shape of GeoLite2 City, to a file in a
// test's temporary folder, and returns its path. Reserved networks (such as the documentation
// ranges 192.0.2.0/24 and 2001:db8::/32) may be used.
func Write(t testing.TB, entries ...Entry) string {
	t.Helper()
	w, err := mmdbwriter.New(mmdbwriter.Options{DatabaseType: "hasse-test-City", IncludeReservedNetworks: true, Languages: []string{"en"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		_, network, err := net.ParseCIDR(e.Network)
		if err != nil {
			t.Fatal(err)
		}
		rec := mmdbtype.Map{"country": mmdbtype.Map{"iso_code": mmdbtype.String(e.Country)}}
		if e.City != "" {
			rec["city"] = mmdbtype.Map{"names": mmdbtype.Map{"en": mmdbtype.String(e.City)}}
		}
		if err := w.Insert(network, rec); err != nil {
			t.Fatal(err)
		}
	}
	path := filepath.Join(t.TempDir(), "geo.mmdb")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := w.WriteTo(f); err != nil {
		f.Close()
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	return path
}
