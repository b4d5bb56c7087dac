package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/filter"
	"hasse/internal/hass"
)

func TestStaticAuthenticate(t *testing.T) {
	sum := sha256.Sum256([]byte("hashed-secret"))
	s, err := NewStatic([]Entry{
		{Name: "admin", Token: "plain-secret", Admin: true},
		{Name: "wall", TokenSHA256: hex.EncodeToString(sum[:]), MaxConnections: 3},
	})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		tok     Token
		want    User
		wantErr error
	}{
		{"plain-secret", User{Name: "admin", Admin: true}, nil},
		{"hashed-secret", User{Name: "wall", MaxConnections: 3, Scope: nonAdminScope(t)}, nil},
		{"plain-secre", User{}, ErrUnauthorized},
		{"", User{}, ErrUnauthorized},
		{Token(hex.EncodeToString(sum[:])), User{}, ErrUnauthorized}, // the hash is not the token
	} {
		got, err := s.Authenticate(context.Background(), tc.tok)
		if diff := cmp.Diff(tc.want, got); !errors.Is(err, tc.wantErr) || diff != "" {
			t.Errorf("Authenticate(%q) error %v, want %v; diff (-want +got):\n%s", string(tc.tok), err, tc.wantErr, diff)
		}
	}
}

func nonAdminScope(t *testing.T) *filter.Filter {
	t.Helper()
	f, err := filter.Parse(url.Values{"event_types": NonAdminTypes("")})
	if err != nil {
		t.Fatal(err)
	}
	return f
}

// TestNonAdminTokensSeeHomeAssistantsAllowlist checks that a static token that is no admin sees
// what Home Assistant shows a non-admin user (never call_service) unless its scopes name event
// types, as a Home Assistant user's token does under auth ha.
func TestNonAdminTokensSeeHomeAssistantsAllowlist(t *testing.T) {
	s, err := NewStatic([]Entry{
		{Name: "admin", Token: "a", Admin: true},
		{Name: "wall", Token: "w"},
		{Name: "hall", Token: "h", Scopes: &Scopes{Domains: []string{"lock"}}},
		{Name: "ops", Token: "o", Scopes: &Scopes{EventTypes: []string{"call_service", "state_changed"}}},
		{Name: "all", Token: "*", Scopes: &Scopes{EventTypes: []string{"*"}}},
	})
	if err != nil {
		t.Fatal(err)
	}
	unlock := &hass.Event{Type: hass.TypeCallService, Domain: "lock", EntityID: "lock.front", Entities: []string{"lock.front"}}
	locked := &hass.Event{Type: hass.TypeStateChanged, Domain: "lock", EntityID: "lock.front", Entities: []string{"lock.front"}, StateChanged: true}
	fired := &hass.Event{Type: "automation_triggered", Domain: "automation", EntityID: "automation.x", Entities: []string{"automation.x"}}
	askCalls, _ := filter.Parse(url.Values{"events": {"call_service"}})
	for _, tc := range []struct {
		token                        Token
		unlock, locked, fired, asked bool // seen, seen, seen, asking for call_service allowed
	}{
		{"a", true, true, true, true},
		{"w", false, true, false, false},
		{"h", false, true, false, false},
		{"o", true, true, false, true},
		{"*", true, true, true, true},
	} {
		u, err := s.Authenticate(context.Background(), tc.token)
		if err != nil {
			t.Fatal(err)
		}
		_, _, refused := u.Scope.Refuses(askCalls)
		got := [4]bool{u.Scope.Match(unlock), u.Scope.Match(locked), u.Scope.Match(fired), !refused}
		if want := [4]bool{tc.unlock, tc.locked, tc.fired, tc.asked}; got != want {
			t.Errorf("%s: sees call_service, state_changed, automation_triggered, may ask for call_service: %v, want %v", u.Name, got, want)
		}
	}
}

func TestNewStaticRefuses(t *testing.T) {
	for _, tc := range []struct {
		name    string
		entries []Entry
		want    string
	}{
		{"no name", []Entry{{Token: "x"}}, "name missing"},
		{"twice", []Entry{{Name: "a", Token: "x"}, {Name: "a", Token: "y"}}, "name used twice"},
		{"neither", []Entry{{Name: "a"}}, "exactly one of token and token_sha256"},
		{"both", []Entry{{Name: "a", Token: "x", TokenSHA256: strings.Repeat("0", 64)}}, "exactly one"},
		{"bad hash", []Entry{{Name: "a", TokenSHA256: "abc"}}, "64 hex digits"},
		{"empty scopes", []Entry{{Name: "a", Token: "x", Scopes: &Scopes{}}}, "scopes name nothing"},
		{"bad scope", []Entry{{Name: "a", Token: "x", Scopes: &Scopes{Entities: []string{"light"}}}}, "entity_id"},
		{"negative", []Entry{{Name: "a", Token: "x", MaxConnections: -1}}, "negative"},
		{"same token twice", []Entry{{Name: "a", Token: "x"}, {Name: "b", Token: "x", Admin: true}}, `tokens "a" and "b" are the same token`},
		{"same token, once hashed", []Entry{{Name: "a", Token: "x"}, {Name: "b", TokenSHA256: hex.EncodeToString(sumOf("x"))}}, "same token"},
		{"spaces around the token", []Entry{{Name: "a", Token: " x"}}, "spaces around"},
		{"a token of spaces", []Entry{{Name: "a", Token: "  "}}, "spaces around"},
	} {
		_, err := NewStatic(tc.entries)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewStatic error %v, want one containing %q", tc.name, err, tc.want)
		}
	}
}

func sumOf(tok string) []byte {
	sum := sha256.Sum256([]byte(tok))
	return sum[:]
}

// TestLoadStaticRefusesScopesWithoutValue checks that "scopes:" with nothing after it, which
// decodes as no scopes at all (everything), stops start-up.
func TestLoadStaticRefusesScopesWithoutValue(t *testing.T) {
	dir := t.TempDir()
	for name, text := range map[string]string{
		"null.yaml":  "tokens:\n  - name: wall\n    token: w\n    scopes:\n",
		"tilde.yaml": "- name: wall\n  token: w\n  scopes: ~\n",
		"null.json":  `{"tokens":[{"name":"wall","token":"w","scopes":null}]}`,
	} {
		path := filepath.Join(dir, name)
		if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
			t.Fatal(err)
		}
		if _, err := LoadStatic(path); err == nil || !strings.Contains(err.Error(), `token "wall": scopes has no value`) {
			t.Errorf("LoadStatic(%s): %v, want scopes refused", name, err)
		}
	}
}

func TestLoadStatic(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ name, text string }{
		{"list.yaml", "- name: admin\n  token: s3cret\n  admin: true\n"},
		{"doc.yaml", "tokens:\n  - name: admin\n    token: s3cret\n    admin: true\n"},
		{"list.json", `[{"name":"admin","token":"s3cret","admin":true}]`},
		{"doc.json", `{"tokens":[{"name":"admin","token":"s3cret","admin":true}]}`},
	} {
		path := filepath.Join(dir, tc.name)
		if err := os.WriteFile(path, []byte(tc.text), 0o600); err != nil {
			t.Fatal(err)
		}
		s, err := LoadStatic(path)
		if err != nil {
			t.Errorf("LoadStatic(%s): %v", tc.name, err)
			continue
		}
		got, err := s.Authenticate(context.Background(), "s3cret")
		if diff := cmp.Diff(User{Name: "admin", Admin: true}, got); err != nil || diff != "" {
			t.Errorf("LoadStatic(%s) then Authenticate: %v, diff (-want +got):\n%s", tc.name, err, diff)
		}
	}
	empty := filepath.Join(dir, "empty.yaml")
	if err := os.WriteFile(empty, []byte("tokens: []\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadStatic(empty); err == nil {
		t.Error("LoadStatic of a file with no tokens succeeded")
	}
	if _, err := LoadStatic(filepath.Join(dir, "missing.yaml")); err == nil {
		t.Error("LoadStatic of a missing file succeeded")
	}
}

func TestScopesFromFile(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "tokens.yaml")
	text := "tokens:\n  - name: wall\n    token: w\n    scopes:\n      domains: [light, switch]\n      event_types: [state_changed]\n"
	if err := os.WriteFile(path, []byte(text), 0o600); err != nil {
		t.Fatal(err)
	}
	s, err := LoadStatic(path)
	if err != nil {
		t.Fatal(err)
	}
	u, err := s.Authenticate(context.Background(), "w")
	if err != nil || u.Scope == nil {
		t.Fatalf("Authenticate = %+v, %v; want a scoped user", u, err)
	}
	if got, _ := u.Scope.MarshalJSON(); string(got) != `{"event_types":["state_changed"],"domain":["light","switch"]}` {
		t.Errorf("scope %s", got)
	}
	typo := filepath.Join(dir, "typo.yaml")
	if err := os.WriteFile(typo, []byte("tokens:\n  - name: wall\n    token: w\n    scope:\n      domains: [light]\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, err := LoadStatic(typo); err == nil || !strings.Contains(err.Error(), "scope") {
		t.Errorf("a misspelt scopes key: %v, want an error naming it", err)
	}
}
