package stats

import (
	"hasse/internal/geo"
	"hasse/internal/hub"
)

// placeOf returns where addr is: looked up once, then remembered while a connection from addr
// is open.
func (c *Collector) placeOf(addr string) geo.Place {
	if p, ok := c.places.Load(addr); ok {
		return p.(geo.Place)
	}
	p := c.cfg.Geo.Locate(addr)
	c.places.Store(addr, p)
	return p
}

// forgetPlaces forgets the addresses that no client in open has; Run's goroutine, at each sample.
func (c *Collector) forgetPlaces(open []*hub.Client) {
	addrs := make(map[string]struct{}, len(open))
	for _, cl := range open {
		addrs[cl.RemoteAddr] = struct{}{}
	}
	c.places.Range(func(k, _ any) bool {
		if _, ok := addrs[k.(string)]; !ok {
			c.places.Delete(k)
		}
		return true
	})
}
