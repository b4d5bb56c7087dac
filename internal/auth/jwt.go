package auth

import (
	"encoding/base64"
	"encoding/json"
	"strings"
)

// jwtShaped reports whether tok could be a Home Assistant access token. Those are JSON Web Tokens:
// three base64url parts joined by dots, the header a JSON object naming its algorithm ("alg"),
// the payload a JSON object naming its issuer ("iss", the refresh token it belongs to). Home
// Assistant refuses anything else without looking further, and counts the refusal as a failed
// login, so hasse refuses it without asking.
func jwtShaped(tok string) bool {
	header, rest, ok := strings.Cut(tok, ".")
	if !ok {
		return false
	}
	payload, sig, ok := strings.Cut(rest, ".")
	if !ok || strings.Contains(sig, ".") || !isBase64URL(sig) {
		return false
	}
	var h struct {
		Alg string `json:"alg"`
	}
	var p struct {
		Iss string `json:"iss"`
	}
	return decodeJSON(header, &h) && h.Alg != "" && decodeJSON(payload, &p) && p.Iss != ""
}

// decodeJSON decodes the base64url part into v, a pointer to a struct: false unless the part
// holds a JSON object of fitting fields (null leaves v zero).
func decodeJSON(part string, v any) bool {
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(part, "="))
	return err == nil && json.Unmarshal(b, v) == nil
}

// isBase64URL reports whether part is non-empty base64url, padded or not.
func isBase64URL(part string) bool {
	part = strings.TrimRight(part, "=")
	_, err := base64.RawURLEncoding.DecodeString(part)
	return part != "" && err == nil
}
