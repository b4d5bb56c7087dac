package filter

import (
	"net/url"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"weak"
)

// Shared hands every request with the same filter parameters the same parsed [Filter], for as
// long as any client still holds it: a thousand dashboards asking for domain=light hold one
// filter, not a thousand (about 240 bytes each). A Filter that [Parse] returns is never changed
// afterwards, which is what makes sharing it safe. The zero value is ready; it is safe for
// concurrent use.
type Shared struct {
	mu    sync.Mutex
	byKey map[string]weak.Pointer[Filter]
}

// Parse is [Parse], but returns the Filter it returned before for the same filter parameters
// while that one is still in use.
func (s *Shared) Parse(v url.Values) (*Filter, error) {
	key := sharedKey(v)
	s.mu.Lock()
	f := s.byKey[key].Value()
	s.mu.Unlock()
	if f != nil {
		return f, nil
	}
	f, err := Parse(v)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if held := s.byKey[key].Value(); held != nil { // another request parsed it meanwhile
		return held, nil
	}
	if s.byKey == nil {
		s.byKey = make(map[string]weak.Pointer[Filter])
	}
	wp := weak.Make(f)
	s.byKey[key] = wp
	runtime.AddCleanup(f, s.forget, sharedEntry{key, wp})
	return f, nil
}

// sharedEntry names what a collected Filter leaves behind in Shared.
type sharedEntry struct {
	key string
	wp  weak.Pointer[Filter]
}

// forget removes a collected Filter's entry, unless a newer Filter took its key meanwhile.
func (s *Shared) forget(e sharedEntry) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.byKey[e.key] == e.wp {
		delete(s.byKey, e.key)
	}
}

// Held reports how many parsed filters s holds for their clients.
func (s *Shared) Held() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	return len(s.byKey)
}

// sharedKey is the filter parameters of v, in Parse's order, as one string: two requests with
// the same key parse to equal filters.
func sharedKey(v url.Values) string {
	var b strings.Builder
	for _, name := range params {
		for _, value := range v[name] {
			b.WriteString(name)
			b.WriteByte(' ')
			b.WriteString(strconv.Itoa(len(value))) // the length first: no value can pass for two
			b.WriteByte(' ')
			b.WriteString(value)
		}
	}
	return b.String()
}
