package auth

import (
	"encoding/base64"
	"strings"
	"testing"

	"hasse/internal/simulator"
)

// b64 is s in base64url without padding.
func b64(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }

const (
	jwtHeader  = "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9"    // {"alg":"HS256","typ":"JWT"}
	jwtPayload = "eyJpc3MiOiJhYmMiLCJpYXQiOjEsImV4cCI6Mn0" // {"iss":"abc","iat":1,"exp":2}
	jwtSig     = "c2lnbmF0dXJl"
)

func TestJWTShaped(t *testing.T) {
	for _, tc := range []struct {
		name, tok string
		want      bool
	}{
		{"home assistant's shape", jwtHeader + "." + jwtPayload + "." + jwtSig, true},
		{"simulator token", simulator.NewToken(), true},
		{"padded parts", b64(`{"alg":"HS256"}`) + "=." + b64(`{"iss":"a"}`) + "==." + jwtSig, true},
		{"empty", "", false},
		{"hex", strings.Repeat("ab", 32), false},
		{"two parts", jwtHeader + "." + jwtPayload, false},
		{"four parts", jwtHeader + "." + jwtPayload + "." + jwtSig + "." + jwtSig, false},
		{"empty signature", jwtHeader + "." + jwtPayload + ".", false},
		{"signature not base64url", jwtHeader + "." + jwtPayload + ".sig+/", false},
		{"header not base64url", "eyJ!." + jwtPayload + "." + jwtSig, false},
		{"header not JSON", b64("alg") + "." + jwtPayload + "." + jwtSig, false},
		{"header an array", b64(`["alg"]`) + "." + jwtPayload + "." + jwtSig, false},
		{"header null", b64(`null`) + "." + jwtPayload + "." + jwtSig, false},
		{"no alg", b64(`{"typ":"JWT"}`) + "." + jwtPayload + "." + jwtSig, false},
		{"alg not a string", b64(`{"alg":1}`) + "." + jwtPayload + "." + jwtSig, false},
		{"payload not JSON", jwtHeader + "." + b64("iss") + "." + jwtSig, false},
		{"payload a string", jwtHeader + "." + b64(`"iss"`) + "." + jwtSig, false},
		{"no issuer", jwtHeader + "." + b64(`{"iat":1}`) + "." + jwtSig, false},
		{"empty issuer", jwtHeader + "." + b64(`{"iss":""}`) + "." + jwtSig, false},
		{"dots only", "..", false},
	} {
		if got := jwtShaped(tc.tok); got != tc.want {
			t.Errorf("%s: jwtShaped(%q) = %v, want %v", tc.name, tc.tok, got, tc.want)
		}
	}
}

// FuzzJWTShaped checks that jwtShaped never panics and accepts only three non-empty parts of
// base64url; go test -fuzz=FuzzJWTShaped ./internal/auth explores further.
func FuzzJWTShaped(f *testing.F) {
	for _, s := range []string{jwtHeader + "." + jwtPayload + "." + jwtSig, simulator.NewToken(), "", "..", "a.b.c", "x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, tok string) {
		if !jwtShaped(tok) {
			return
		}
		parts := strings.Split(tok, ".")
		if len(parts) != 3 {
			t.Fatalf("jwtShaped(%q) with %d parts", tok, len(parts))
		}
		for _, p := range parts {
			if _, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(p, "=")); p == "" || err != nil {
				t.Fatalf("jwtShaped(%q): part %q is not base64url (%v)", tok, p, err)
			}
		}
	})
}
