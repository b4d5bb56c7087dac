package tail

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"
)

// Message is one block of an SSE stream: the fields up to a blank line, read as the HTML
// standard's EventSource reads them.
type Message struct {
	// Event is the event: field, empty when the message is unnamed.
	Event string
	// Data is the data: lines joined by "\n".
	Data string
	// HasData reports whether the block had a data: line. Only such blocks are events; the
	// others carry an id or a retry hint and nothing to show.
	HasData bool
	// LastEventID is the stream's last event id once this block is read: its own id: field, or
	// the one before (an id: field holding NUL is ignored, as EventSource does).
	LastEventID string
	// HasID reports whether the block had its own (valid) id: field.
	HasID bool
	// Retry is the block's retry: hint, 0 when it had none.
	Retry time.Duration
}

// errTooLarge ends a stream whose message exceeds the reader's limit.
var errTooLarge = errors.New("message too large")

// reader parses an SSE stream into Messages. It is used by one goroutine.
type reader struct {
	lines   *bufio.Scanner
	max     int    // bytes of data one message may hold
	lastID  string // the stream's last event id, carried from block to block
	started bool   // a line was read: a BOM is only stripped at the start
}

// newReader returns a reader of r whose lines and messages may hold up to max bytes, starting
// with lastID as the last event id.
func newReader(r io.Reader, max int, lastID string) *reader {
	s := bufio.NewScanner(r)
	s.Buffer(make([]byte, 0, 4096), max+len("data: \r\n"))
	var afterCR bool // the last line ended in "\r": a "\n" right after it belongs to it
	s.Split(func(data []byte, atEOF bool) (int, []byte, error) {
		skip := 0
		if afterCR && len(data) > 0 {
			afterCR = false
			if data[0] == '\n' {
				skip = 1
			}
		}
		if i := bytes.IndexAny(data[skip:], "\r\n"); i >= 0 {
			afterCR = data[skip+i] == '\r'
			return skip + i + 1, data[skip : skip+i], nil
		}
		if atEOF { // an unterminated last line ends no message: drop it
			return len(data), nil, nil
		}
		return skip, nil, nil
	})
	return &reader{lines: s, max: max, lastID: lastID}
}

// next returns the next block that had any field, or an error: io.EOF at the end of the
// stream (an unfinished block is dropped), errTooLarge, or the underlying reader's.
func (r *reader) next() (Message, error) {
	var (
		m     Message
		data  strings.Builder
		dirty bool
	)
	for r.lines.Scan() {
		line := r.lines.Bytes()
		if !r.started {
			r.started = true
			line = bytes.TrimPrefix(line, []byte("\ufeff"))
		}
		if len(line) == 0 {
			if !dirty {
				continue
			}
			m.LastEventID = r.lastID
			m.Data = strings.TrimSuffix(data.String(), "\n")
			return m, nil
		}
		name, value, _ := bytes.Cut(line, []byte(":"))
		value = bytes.TrimPrefix(value, []byte(" "))
		switch string(name) {
		case "": // a comment
		case "event":
			m.Event, dirty = string(value), true
		case "data":
			if data.Len()+len(value) >= r.max {
				return Message{}, fmt.Errorf("%w: over %d bytes", errTooLarge, r.max)
			}
			data.Write(value)
			data.WriteByte('\n')
			m.HasData, dirty = true, true
		case "id":
			if bytes.IndexByte(value, 0) < 0 {
				r.lastID, m.HasID, dirty = string(value), true, true
			}
		case "retry":
			if ms, err := strconv.ParseUint(string(value), 10, 32); err == nil { // digits only, as EventSource wants
				m.Retry, dirty = time.Duration(ms)*time.Millisecond, true
			}
		}
	}
	if err := r.lines.Err(); err != nil {
		if errors.Is(err, bufio.ErrTooLong) {
			return Message{}, fmt.Errorf("%w: a line over %d bytes", errTooLarge, r.max)
		}
		return Message{}, err
	}
	return Message{}, io.EOF
}
