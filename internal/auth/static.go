package auth

import (
	"bytes"
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"fmt"
	"net/url"
	"os"
	"strings"

	"go.yaml.in/yaml/v3"

	"hasse/internal/filter"
)

// Entry is one token of a tokens file (SPEC.md §5.1).
type Entry struct {
	Name           string  `yaml:"name" json:"name"`
	Token          string  `yaml:"token" json:"token"`               // the token itself, or
	TokenSHA256    string  `yaml:"token_sha256" json:"token_sha256"` // its SHA-256, hex
	Admin          bool    `yaml:"admin" json:"admin"`
	MaxConnections int     `yaml:"max_connections" json:"max_connections"`
	Scopes         *Scopes `yaml:"scopes" json:"scopes"` // nil: everything for an admin, Home Assistant's non-admin event types for others
}

// Scopes limit what a token sees (SPEC.md §5.2), with the matching rule of the filters: an event
// must have one of EventTypes (when given), and be about one of Entities or one of Domains (when
// either is given). Patterns (light.*) are allowed.
type Scopes struct {
	Domains    []string `yaml:"domains" json:"domains"`
	Entities   []string `yaml:"entities" json:"entities"`
	EventTypes []string `yaml:"event_types" json:"event_types"`
}

// compile turns scopes into the filter every event of the token must pass; nil: everything. A
// token that is no admin sees at most what Home Assistant lets a non-admin user subscribe to:
// when its scopes name no event types, the types of Home Assistant's allowlist (those of the
// newest Home Assistant, as under auth ha; never call_service). Naming event types gives a token those, "*" all of them.
func (sc *Scopes) compile(admin bool) (*filter.Filter, error) {
	v := url.Values{}
	if sc != nil {
		for name, list := range map[string][]string{"domain": sc.Domains, "entity_id": sc.Entities, "event_types": sc.EventTypes} {
			if len(list) > 0 {
				v.Set(name, strings.Join(list, ","))
			}
		}
		if len(v) == 0 {
			return nil, errors.New("scopes name nothing: leave them out to see everything")
		}
	}
	if !admin && len(v["event_types"]) == 0 {
		v.Set("event_types", strings.Join(NonAdminTypes(""), ","))
	}
	if len(v) == 0 {
		return nil, nil
	}
	f, err := filter.Parse(v)
	if err != nil {
		return nil, fmt.Errorf("scopes: %w", err)
	}
	return f, nil
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
	owners := make(map[[sha256.Size]byte]string) // whose each token is
	for i, e := range entries {
		var sum [sha256.Size]byte
		switch {
		case e.Name == "":
			return nil, fmt.Errorf("token %d: name missing", i+1)
		case names[e.Name]:
			return nil, fmt.Errorf("token %q: name used twice", e.Name)
		case e.MaxConnections < 0:
			return nil, fmt.Errorf("token %q: max_connections is negative", e.Name)
		case (e.Token == "") == (e.TokenSHA256 == ""):
			return nil, fmt.Errorf("token %q: give exactly one of token and token_sha256", e.Name)
		case strings.TrimSpace(e.Token) != e.Token:
			// A client's token is read without the spaces around it: this one could never match.
			return nil, fmt.Errorf("token %q: the token has spaces around it", e.Name)
		case e.Token != "":
			sum = sha256.Sum256([]byte(e.Token))
		default:
			b, err := hex.DecodeString(e.TokenSHA256)
			if err != nil || len(b) != sha256.Size {
				return nil, fmt.Errorf("token %q: token_sha256 is not 64 hex digits", e.Name)
			}
			copy(sum[:], b)
		}
		if other, ok := owners[sum]; ok { // one of the two would never be the one found
			return nil, fmt.Errorf("tokens %q and %q are the same token", other, e.Name)
		}
		scope, err := e.Scopes.compile(e.Admin)
		if err != nil {
			return nil, fmt.Errorf("token %q: %w", e.Name, err)
		}
		names[e.Name], owners[sum] = true, e.Name
		s.entries = append(s.entries, staticEntry{sum: sum, user: User{Name: e.Name, Admin: e.Admin, MaxConnections: e.MaxConnections, Scope: scope}})
	}
	return s, nil
}

// LoadStatic reads a tokens file: YAML or JSON, either a list of entries or {"tokens": [...]}.
func LoadStatic(path string) (*Static, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("read tokens file: %w", err)
	}
	if err := noNullScopes(b); err != nil {
		return nil, fmt.Errorf("tokens file %s: %w", path, err)
	}
	var doc struct {
		Tokens []Entry `yaml:"tokens"`
	}
	var list []Entry
	if err := strictYAML(b, &list); err != nil {
		if err2 := strictYAML(b, &doc); err2 != nil {
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

// noNullScopes refuses "scopes:" with no value: decoded, it is no scopes at all, and a token
// whose author meant to limit it would see everything.
func noNullScopes(b []byte) error {
	var root yaml.Node
	if err := yaml.Unmarshal(b, &root); err != nil {
		return nil // strictYAML reports it
	}
	var walk func(n *yaml.Node) error
	walk = func(n *yaml.Node) error {
		if n.Kind == yaml.MappingNode {
			name := ""
			for i := 0; i+1 < len(n.Content); i += 2 {
				if n.Content[i].Value == "name" {
					name = n.Content[i+1].Value
				}
			}
			for i := 0; i+1 < len(n.Content); i += 2 {
				if k, v := n.Content[i], n.Content[i+1]; k.Value == "scopes" && v.ShortTag() == "!!null" {
					return fmt.Errorf("token %q: scopes has no value; name domains, entities or event_types, or leave scopes out to see everything", name)
				}
			}
		}
		for _, c := range n.Content {
			if err := walk(c); err != nil {
				return err
			}
		}
		return nil
	}
	return walk(&root)
}

// strictYAML decodes YAML (or JSON) refusing unknown keys: a misspelt "scope" must not give a
// token everything.
func strictYAML(b []byte, v any) error {
	d := yaml.NewDecoder(bytes.NewReader(b))
	d.KnownFields(true)
	return d.Decode(v)
}

// Authenticate returns the user tok belongs to, or [ErrUnauthorized]. Every entry is compared,
// in constant time, whatever matches.
func (s *Static) Authenticate(_ context.Context, tok Token) (User, error) {
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
