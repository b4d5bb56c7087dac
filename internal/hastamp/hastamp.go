// Package hastamp writes Home Assistant's stamps as Home Assistant writes them: its times
// (Python's isoformat of a UTC datetime) and its context ids (ULIDs). The simulator and the
// benchmark's fake Home Assistant both write them.
package hastamp

import (
	"math/rand/v2"
	"time"
)

// AppendTime appends t as Python's datetime.isoformat writes an aware UTC datetime:
// "2025-03-14T09:31:40.120567+00:00", microseconds, with the fraction left out when it is zero.
func AppendTime(b []byte, t time.Time) []byte {
	t = t.UTC()
	b = t.AppendFormat(b, "2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		b = append(b, '.')
		for d := 100000; d > 0; d /= 10 {
			b = append(b, byte('0'+us/d%10))
		}
	}
	return append(b, "+00:00"...)
}

// crockford is the Crockford base32 alphabet ULIDs are written in.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// ULID returns a ULID for t, as Home Assistant's context ids are: 26 Crockford base32
// characters, 48 bits of Unix milliseconds then 80 random bits from r (nil: math/rand/v2's
// shared source, safe for concurrent use).
func ULID(t time.Time, r *rand.Rand) string {
	next := rand.Uint64
	if r != nil {
		next = r.Uint64
	}
	hi := uint64(t.UnixMilli())<<16 | next()>>48
	lo := next()
	var b [26]byte
	for i := range b {
		shift := uint(125 - 5*i) // the 128 bits are read as 130 with two leading zeros
		var v uint64
		switch {
		case shift >= 64:
			v = hi >> (shift - 64)
		case shift == 0:
			v = lo
		default:
			v = hi<<(64-shift) | lo>>shift
		}
		b[i] = crockford[v&31]
	}
	return string(b[:])
}
