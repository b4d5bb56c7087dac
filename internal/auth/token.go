package auth

import (
	"context"
	"errors"
	"log/slog"
	"net/http"
	"net/url"
	"strings"

	"hasse/internal/filter"
)

// ErrUnauthorized means the request carried no token, or one nobody knows.
var ErrUnauthorized = errors.New("auth: missing or invalid token")

// Token is a secret a client presents. It never shows itself in logs or formatted output.
type Token string

// LogValue keeps the token out of logs.
func (Token) LogValue() slog.Value { return slog.StringValue("[redacted]") }

// String keeps the token out of formatted output.
func (Token) String() string { return "[redacted]" }

// User is who a request authenticated as.
type User struct {
	Name           string // user or token name; shown in statistics as user_id
	ID             string // Home Assistant's user id under auth mode ha; "" otherwise
	Admin          bool   // may use the statistics tool
	MaxConnections int    // this user's own concurrent stream limit; 0 = the server's
	// Scope limits the events the user may see; nil: all (SPEC.md §5.2).
	Scope *filter.Filter
}

// TokenParams are the request parameters that may carry a token, in the order they are tried.
var TokenParams = []string{"token", "auth", "access_token"}

// FromRequest returns the token of r: the Authorization Bearer header, else the first non-empty
// of TokenParams in params (the query string, merged with a POST body by the caller).
func FromRequest(r *http.Request, params url.Values) Token {
	if h := r.Header.Get("Authorization"); h != "" {
		scheme, tok, ok := strings.Cut(h, " ")
		if ok && strings.EqualFold(scheme, "Bearer") {
			if tok = strings.TrimSpace(tok); tok != "" {
				return Token(tok)
			}
		}
	}
	for _, name := range TokenParams {
		if v := params.Get(name); v != "" {
			return Token(v)
		}
	}
	return ""
}

// clientAddrKey is the context key of the client's address.
type clientAddrKey struct{}

// WithClientAddr returns ctx carrying the address of the client whose token is being checked:
// [HA] rations Home Assistant's refusals per address.
func WithClientAddr(ctx context.Context, addr string) context.Context {
	return context.WithValue(ctx, clientAddrKey{}, addr)
}

// clientAddr is the client address ctx carries; "" when none.
func clientAddr(ctx context.Context) string {
	addr, _ := ctx.Value(clientAddrKey{}).(string)
	return addr
}
