package auth

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
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
		{"hashed-secret", User{Name: "wall", MaxConnections: 3}, nil},
		{"plain-secre", User{}, ErrUnauthorized},
		{"", User{}, ErrUnauthorized},
		{Token(hex.EncodeToString(sum[:])), User{}, ErrUnauthorized}, // the hash is not the token
	} {
		got, err := s.Authenticate(context.Background(), tc.tok)
		if !errors.Is(err, tc.wantErr) || got != tc.want {
			t.Errorf("Authenticate(%q) = %+v, %v; want %+v, %v", string(tc.tok), got, err, tc.want, tc.wantErr)
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
	} {
		_, err := NewStatic(tc.entries)
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("%s: NewStatic error %v, want one containing %q", tc.name, err, tc.want)
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
