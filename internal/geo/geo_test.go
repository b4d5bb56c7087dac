package geo_test

import (
	"os"
	"path/filepath"
	"testing"

	"hasse/internal/geo"
	"hasse/internal/geo/geotest"
)

func TestClassify(t *testing.T) {
	for _, tc := range []struct {
		addr string
		want geo.Place
	}{
		{"127.0.0.1", geo.Place{Network: geo.Loopback, IPVersion: "IPv4"}},
		{"::1", geo.Place{Network: geo.Loopback, IPVersion: "IPv6"}},
		{"::ffff:127.0.0.1", geo.Place{Network: geo.Loopback, IPVersion: "IPv4"}},
		{"192.168.1.100", geo.Place{Network: geo.Private, IPVersion: "IPv4"}},
		{"10.1.2.3", geo.Place{Network: geo.Private, IPVersion: "IPv4"}},
		{"172.31.0.1", geo.Place{Network: geo.Private, IPVersion: "IPv4"}},
		{"100.64.0.7", geo.Place{Network: geo.Private, IPVersion: "IPv4"}},
		{"fd12:3456::1", geo.Place{Network: geo.Private, IPVersion: "IPv6"}},
		{"169.254.10.20", geo.Place{Network: geo.LinkLocal, IPVersion: "IPv4"}},
		{"fe80::1", geo.Place{Network: geo.LinkLocal, IPVersion: "IPv6"}},
		{"203.0.113.9", geo.Place{Network: geo.Public, IPVersion: "IPv4"}},
		{"2001:db8::5", geo.Place{Network: geo.Public, IPVersion: "IPv6"}},
		{"0.0.0.0", geo.Place{Network: geo.Other, IPVersion: "IPv4"}},
		{"224.0.0.1", geo.Place{Network: geo.Other, IPVersion: "IPv4"}},
		{"not an address", geo.Place{Network: geo.Other}},
		{"", geo.Place{Network: geo.Other}},
	} {
		if got := geo.Classify(tc.addr); got != tc.want {
			t.Errorf("Classify(%q) = %+v, want %+v", tc.addr, got, tc.want)
		}
	}
}

func TestLocateWithADatabase(t *testing.T) {
	path := geotest.Write(t,
		geotest.Entry{Network: "203.0.113.0/24", Country: "SE", City: "Stockholm"},
		geotest.Entry{Network: "198.51.100.0/24", Country: "NZ"},
		geotest.Entry{Network: "2001:db8::/32", Country: "JP", City: "Osaka"},
	)
	db, err := geo.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if db.Type() != "hasse-test-City" {
		t.Errorf("Type() = %q", db.Type())
	}
	for _, tc := range []struct {
		addr string
		want geo.Place
	}{
		{"203.0.113.7", geo.Place{Network: geo.Public, IPVersion: "IPv4", Country: "SE", City: "Stockholm"}},
		{"::ffff:203.0.113.7", geo.Place{Network: geo.Public, IPVersion: "IPv4", Country: "SE", City: "Stockholm"}},
		{"198.51.100.1", geo.Place{Network: geo.Public, IPVersion: "IPv4", Country: "NZ"}},
		{"2001:db8:1::1", geo.Place{Network: geo.Public, IPVersion: "IPv6", Country: "JP", City: "Osaka"}},
		{"192.0.2.1", geo.Place{Network: geo.Public, IPVersion: "IPv4"}}, // not in the database
		{"127.0.0.1", geo.Place{Network: geo.Loopback, IPVersion: "IPv4"}},
		{"garbage", geo.Place{Network: geo.Other}},
	} {
		if got := db.Locate(tc.addr); got != tc.want {
			t.Errorf("Locate(%q) = %+v, want %+v", tc.addr, got, tc.want)
		}
	}
	var none *geo.DB
	if got := none.Locate("203.0.113.7"); got != (geo.Place{Network: geo.Public, IPVersion: "IPv4"}) {
		t.Errorf("a nil DB located 203.0.113.7 at %+v, want its class only", got)
	}
}

func TestOpenRefusesWhatIsNotADatabase(t *testing.T) {
	dir := t.TempDir()
	junk := filepath.Join(dir, "junk.mmdb")
	if err := os.WriteFile(junk, []byte("not a database at all"), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{junk, filepath.Join(dir, "missing.mmdb")} {
		if db, err := geo.Open(path); err == nil {
			db.Close()
			t.Errorf("Open(%s) succeeded", path)
		}
	}
}
