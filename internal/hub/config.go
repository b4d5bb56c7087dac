package hub

import (
	"cmp"
	"crypto/rand"
	"errors"
	"fmt"
)

// Config tunes a Hub. Zero fields take the defaults shown.
type Config struct {
	MaxClients        int     // concurrent clients in all; default 100
	MaxClientsPerUser int     // concurrent clients of one user; default 10
	QueueBytes        int     // bytes a client may have waiting before it is dropped; default 1 MiB
	Epoch             string  // first part of event ids; default: random, new for each Hub
	EventBuffer       int     // events accepted ahead of dispatch; default 4096
	ReplaySize        int     // events kept for Last-Event-ID resume; default 10000, negative: none
	ReplayBytes       int     // memory those events may take, in bytes (format.Frame.Size); default 4 MiB, negative: no bound
	Meter             Meter   // told of every delivery; nil: nobody
	History           History // cluster mode: resumes older than the ring; nil: none (resume.go)
	// OnClose is told of every client the hub unregisters, on the hub's goroutine, so it must not
	// block; the client's Err says why it ended (nil: it went away). nil: nobody.
	OnClose func(*Client)
}

func (c *Config) setDefaults() error {
	c.MaxClients = cmp.Or(c.MaxClients, 100)
	c.MaxClientsPerUser = cmp.Or(c.MaxClientsPerUser, 10)
	c.QueueBytes = cmp.Or(c.QueueBytes, 1<<20)
	c.EventBuffer = cmp.Or(c.EventBuffer, 4096)
	c.ReplaySize = max(cmp.Or(c.ReplaySize, 10000), 0)
	c.ReplayBytes = max(cmp.Or(c.ReplayBytes, 4<<20), 0)
	if c.Epoch == "" {
		c.Epoch = NewEpoch()
	}
	if c.MaxClients < 0 || c.MaxClientsPerUser < 0 || c.QueueBytes < 0 || c.EventBuffer < 0 {
		return errors.New("hub: negative limit")
	}
	for _, r := range c.Epoch {
		if !isIDChar(r) || r == '-' {
			return fmt.Errorf("hub: epoch %q: only letters, digits, '.' and '_' allowed", c.Epoch)
		}
	}
	return nil
}

func isIDChar(r rune) bool {
	return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '.' || r == '_' || r == '-'
}

// ValidID reports whether s is 1 to 64 of A-Z a-z 0-9 . _ -, as every id and label the gateway
// takes from outside must be (client ids, instance names).
func ValidID(s string) bool {
	if len(s) == 0 || len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !isIDChar(r) {
			return false
		}
	}
	return true
}

// NewEpoch returns 6 random base-36 characters: the first part of event ids, new for each hub
// (or, in cluster mode, each shared history).
func NewEpoch() string {
	const digits = "0123456789abcdefghijklmnopqrstuvwxyz"
	var b [6]byte
	_, _ = rand.Read(b[:])
	for i := range b {
		b[i] = digits[int(b[i])%len(digits)]
	}
	return string(b[:])
}
