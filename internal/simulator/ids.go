package simulator

import (
	"encoding/hex"
	"hasse/internal/hastamp"
	"math/rand/v2"
	"time"
)

// hexID returns n random bytes from r as 2n lowercase hex characters: 32 for HA's user and device
// ids, 64 for camera access tokens.
func hexID(r *rand.Rand, n int) string {
	b := make([]byte, n)
	for i := range b {
		b[i] = byte(r.Uint32())
	}
	return hex.EncodeToString(b)
}

// isoformat writes t as Home Assistant writes its times (hastamp.AppendTime).
func isoformat(t time.Time) string {
	return string(hastamp.AppendTime(make([]byte, 0, 32), t))
}
