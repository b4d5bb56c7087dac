package auth

import (
	"fmt"
	"log/slog"
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
)

func TestFromRequest(t *testing.T) {
	for _, tc := range []struct {
		name, header, query string
		want                Token
	}{
		{"bearer", "Bearer abc", "", "abc"},
		{"bearer case", "bearer abc", "token=q", "abc"},
		{"bearer wins", "Bearer abc", "token=q", "abc"},
		{"basic ignored", "Basic abc", "token=q", "q"},
		{"empty bearer", "Bearer  ", "auth=q", "q"},
		{"token", "", "token=t", "t"},
		{"auth", "", "auth=a", "a"},
		{"access_token", "", "access_token=x", "x"},
		{"order", "", "access_token=x&auth=a", "a"},
		{"none", "", "domain=light", ""},
	} {
		r := httptest.NewRequest("GET", "/subscribe_events?"+tc.query, nil)
		if tc.header != "" {
			r.Header.Set("Authorization", tc.header)
		}
		q, _ := url.ParseQuery(tc.query)
		if got := FromRequest(r, q); got != tc.want {
			t.Errorf("%s: FromRequest = %q, want %q", tc.name, string(got), string(tc.want))
		}
	}
}

func TestTokenNeverPrints(t *testing.T) {
	tok := Token("s3cret-value")
	var b strings.Builder
	slog.New(slog.NewTextHandler(&b, nil)).Info("x", "token", tok)
	out := b.String() + fmt.Sprint(tok) + fmt.Sprintf("%v %s", tok, tok)
	if strings.Contains(out, "s3cret") {
		t.Errorf("token printed: %s", out)
	}
}
