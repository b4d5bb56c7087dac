// Package geo tells where a client's address is, for the statistics tool's geographic
// distribution: always its network class (loopback, private, link-local, public) and IP version,
// and its country and city when the operator names a MaxMind-format database (GeoLite2 or GeoIP2
// City or Country, or any database with their record shape), read with
// github.com/oschwald/maxminddb-golang. Nothing is fetched from the network.
package geo
