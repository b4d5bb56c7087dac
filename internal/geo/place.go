package geo

import "net/netip"

// Network classes of [Place.Network].
const (
	Loopback  = "loopback"
	Private   = "private"    // RFC 1918, RFC 6598 shared space (carrier-grade NAT), IPv6 unique local
	LinkLocal = "link-local" // 169.254.0.0/16, fe80::/10
	Public    = "public"     // any other unicast address
	Other     = "other"      // unspecified, multicast, or not an address at all
)

// Place is where an address is.
type Place struct {
	Network   string // one of the classes above
	IPVersion string // "IPv4" or "IPv6"; "" when the text is not an address
	Country   string // ISO 3166-1 code, from the database; "" without one, or when it does not know
	City      string // the city's English name, from the database; "" likewise
}

var sharedSpace = netip.MustParsePrefix("100.64.0.0/10")

// Classify returns the network class and IP version of addr (an address, without a port);
// Country and City stay empty.
func Classify(addr string) Place {
	a, err := netip.ParseAddr(addr)
	if err != nil {
		return Place{Network: Other}
	}
	a = a.Unmap()
	p := Place{IPVersion: "IPv6"}
	if a.Is4() {
		p.IPVersion = "IPv4"
	}
	switch {
	case a.IsLoopback():
		p.Network = Loopback
	case a.IsPrivate() || sharedSpace.Contains(a):
		p.Network = Private
	case a.IsLinkLocalUnicast():
		p.Network = LinkLocal
	case a.IsGlobalUnicast():
		p.Network = Public
	default:
		p.Network = Other
	}
	return p
}
