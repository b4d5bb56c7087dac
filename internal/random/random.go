// Package random is the gateway's randomness that is not a test's: ids no one may guess and
// retry times spread so that clients do not return all at once.
package random

import (
	"crypto/rand"
	"encoding/hex"
	mrand "math/rand/v2"
	"time"
)

// Hex returns n random bytes from crypto/rand as 2n hex digits: connection ids, instance ids.
func Hex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b) // never fails (crypto/rand)
	return hex.EncodeToString(b)
}

// Jitter returns d give or take up to 20 %: retry hints, so that clients cut off together do
// not all come back in the same instant.
func Jitter(d time.Duration) time.Duration {
	return d + time.Duration((mrand.Float64()*0.4-0.2)*float64(d))
}
