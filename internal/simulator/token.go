package simulator

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"strconv"
	"time"
)

// NewToken returns a fresh random access token shaped as Home Assistant's are: a JSON Web Token
// whose header is {"alg":"HS256","typ":"JWT"}, whose payload names a random issuer ("iss", the
// refresh token's id in HA) with "iat" now and "exp" ten years on, and whose signature is 32
// random bytes; each part base64url without padding. Configure it as Config.Token or UserToken.
func NewToken() string {
	var iss [16]byte
	var sig [32]byte
	_, _ = rand.Read(iss[:]) // never fails on supported platforms
	_, _ = rand.Read(sig[:])
	now := time.Now().Unix()
	payload := `{"iss":"` + hex.EncodeToString(iss[:]) + `","iat":` + strconv.FormatInt(now, 10) +
		`,"exp":` + strconv.FormatInt(now+10*365*24*3600, 10) + `}`
	enc := base64.RawURLEncoding
	return enc.EncodeToString([]byte(`{"alg":"HS256","typ":"JWT"}`)) + "." +
		enc.EncodeToString([]byte(payload)) + "." + enc.EncodeToString(sig[:])
}
