package simulator

import (
	"encoding/hex"
	"math/rand/v2"
	"strconv"
	"time"
)

// crockford is the Crockford base32 alphabet ULIDs are written in.
const crockford = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"

// newULID returns a ULID for t: 26 Crockford base32 characters, 48 bits of Unix milliseconds then
// 80 random bits from r, as Home Assistant's context ids are.
func newULID(t time.Time, r *rand.Rand) string {
	hi := uint64(t.UnixMilli())<<16 | r.Uint64()>>48
	lo := r.Uint64()
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

// hexID returns n random bytes from r as 2n lowercase hex characters: 32 for HA's user and device
// ids, 64 for camera access tokens.
func hexID(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)
}

// isoformat writes t as Python's datetime.isoformat writes an aware UTC datetime:
// "2025-03-14T09:31:40.120567+00:00", with the fraction left out when it is zero.
func isoformat(t time.Time) string {
	t = t.UTC()
	b := t.AppendFormat(make([]byte, 0, 32), "2006-01-02T15:04:05")
	if us := t.Nanosecond() / 1000; us != 0 {
		b = append(b, '.')
		s := strconv.Itoa(us)
		for range 6 - len(s) {
			b = append(b, '0')
		}
		b = append(b, s...)
	}
	return string(append(b, "+00:00"...))
}
