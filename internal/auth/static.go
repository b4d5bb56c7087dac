package auth

import (
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"fmt"
	"os"

	"go.yaml.in/yaml/v3"
)

// Entry is one token of a tokens file (SPEC.md §5.1).
type Entry struct {
	Name           string         `yaml:"name" json:"name"`
	Token          string         `yaml:"token" json:"token"`               // the token itself, or
	TokenSHA256    string         `yaml:"token_sha256" json:"token_sha256"` // its SHA-256, hex
	Admin          bool           `yaml:"admin" json:"admin"`
	MaxConnections int            `yaml:"max_connections" json:"max_connections"`
	Scopes         map[string]any `yaml:"scopes" json:"scopes"` // not supported yet: refused
}

type staticEntry struct {
	sum  [sha256.Size]byte
	user User
}

// Static authenticates the fixed tokens of a tokens file. It is read-only once made and safe for
// concurrent use.
type Static struct {
	entries []staticEntry
}

// NewStatic checks entries and returns a Static for them.
func NewStatic(entries []Entry) (*Static, error) {
	s := &Static{}
	names := make(map[string]bool)
	for i, e := range entries {
		var sum [sha256.Size]byte
		switch {
		case e.Name == "":
			return nil, fmt.Errorf("token %d: name missing", i+1)
		case names[e.Name]:
			return nil, fmt.Errorf("token %q: name used twice", e.Name)
		case e.Scopes != nil:
			return nil, fmt.Errorf("token %q: scopes are not supported yet; remove them or the token would see everything", e.Name)
		case e.MaxConnections < 0:
			return nil, fmt.Errorf("token %q: max_connections is negative", e.Name)
		case (e.Token == "") == (e.TokenSHA256 == ""):
			return nil, fmt.Errorf("token %q: give exactly one of token and token_sha256", e.Name)
		case e.Token != "":
			sum = sha256.Sum256([]byte(e.Token))
		default:
			b, err := hex.DecodeString(e.TokenSHA256)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("token %q: token_sha256 is not 64 hex digits", e.Name)
			}
			copy(sum[:], b)
		}
		names[e.Name] = true
		s.entries = append(s.entries, staticEntry{sum: sum, user: User{Name: e.Name, Admin: e.Admin, MaxConnections: e.MaxConnections}})
	}
	return s, nil
}

// LoadStatic reads a tokens file: YAML or JSON, either a list of entries or {"tokens": [...]}.
func LoadStatic(path string) (*Static, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	var doc struct {
		Tokens []Entry `yaml:"tokens"`
	}
	var list []Entry
	if err := yaml.Unmarshal(b, &list); err != nil {
		if err2 := yaml.Unmarshal(b, &doc); err2 != nil {
			return nil, fmt.Errorf("parse tokens file %s: %w", path, err2)
		}
		list = doc.Tokens
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("tokens file %s holds no tokens", path)
	}
	s, err := NewStatic(list)
	if err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	return s, nil
}

// Authenticate returns the user tok belongs to, or [ErrUnauthorized]. Every entry is compared,
// in constant time, whatever matches.
func (s *Static) Authenticate(tok Token) (User, error) {
	if tok == "" {
		return User{}, ErrUnauthorized
	}
	sum := sha256.Sum256([]byte(tok))
	found := -1
	for i := range s.entries {
		if subtle.ConstantTimeCompare(sum[:], s.entries[i].sum[:]) == 1 {
			found = i
		}
	}
	if found < 0 {
		return User{}, ErrUnauthorized
	}
	return s.entries[found].user, nil
}
