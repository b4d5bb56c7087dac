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

// FuzzFromRequest extracts tokens from arbitrary headers and queries: it never panics, and what
// it returns is one of the places a token may come from.
func FuzzFromRequest(f *testing.F) {
	for _, seed := range [][2]string{
		{"Bearer abc", "token=q"}, {"", "auth=a&access_token=x"}, {"bearer  ", "token="}, {"Basic Zm9v", "%zz"},
		{"Bearer \x00", "token=%00"}, {"Bearer a b c", "access_token=" + strings.Repeat("t", 3000)},
	} {
		f.Add(seed[0], seed[1])
	}
	f.Fuzz(func(t *testing.T, header, query string) {
		r := httptest.NewRequest("GET", "/", nil)
		r.Header["Authorization"] = []string{header}
		q, _ := url.ParseQuery(query)
		got := string(FromRequest(r, q))
		if got == "" {
			return
		}
		if strings.Contains(header, got) {
			return
		}
		for _, name := range TokenParams {
			if q.Get(name) == got {
				return
			}
		}
		t.Errorf("FromRequest(%q, %q) = %q, from neither the header nor the query", header, query, got)
	})
}
