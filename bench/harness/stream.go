package main

import (
	"bytes"
	"errors"
	"fmt"
	"math"
)

// maxLine bounds one SSE line held across reads; a server sending longer lines is broken for
// this harness's purposes.
const maxLine = 1 << 20

// errStreamEnd is the last chunk of a chunked response: the server ended the stream.
var errStreamEnd = errors.New("stream ended by the server")

// stream decodes one SSE response body in place, as reads hand it over: first HTTP/1.1's chunked
// transfer coding when the response announced it, then text/event-stream lines. Of each event it
// keeps only what a measurement needs: the publish stamp, the integer after the first "ts": in its
// data (or \"ts\": when the payload sits in a JSON string). A stream is owned by one goroutine.
type stream struct {
	chunked bool

	// Chunk framing.
	phase  chunkPhase
	left   int64 // bytes of chunk data still to come, or the size being read
	digits int   // hex digits of the size line read so far

	// Event-stream lines.
	line    []byte // the start of a line whose end has not arrived yet
	hasData bool   // the event being read has a data field
	stamped bool   // and a stamp was found in it
	stamp   int64
}

type chunkPhase uint8

const (
	chunkSize    chunkPhase = iota // reading the hex size
	chunkExt                       // skipping a chunk extension up to the line end
	chunkSizeEnd                   // the size line's LF after CR
	chunkData                      // left bytes of data
	chunkDataCR                    // the CR (or LF) after the data
	chunkDataLF                    // the LF after that CR
	chunkDone                      // the last chunk was read
)

// feed decodes p and calls event once for every event completed in it, with the event's stamp
// (ok false when its data held none). It returns errStreamEnd after the last chunk of a chunked
// body, and an error when the bytes are not a chunked body or a line grows past maxLine.
func (s *stream) feed(p []byte, event func(stamp int64, ok bool)) error {
	if !s.chunked {
		return s.lines(p, event)
	}
	for len(p) > 0 {
		switch s.phase {
		case chunkData:
			n := int64(len(p))
			if n > s.left {
				n = s.left
			}
			if err := s.lines(p[:n], event); err != nil {
				return err
			}
			p, s.left = p[n:], s.left-n
			if s.left == 0 {
				s.phase = chunkDataCR
			}
			continue
		case chunkDone:
			return errStreamEnd
		}
		c := p[0]
		p = p[1:]
		if err := s.frame(c); err != nil {
			return err
		}
	}
	if s.phase == chunkDone {
		return errStreamEnd
	}
	return nil
}

// frame advances the chunk framing by one byte outside chunk data.
func (s *stream) frame(c byte) error {
	switch s.phase {
	case chunkSize:
		switch v := hexValue(c); {
		case v >= 0:
			if s.digits++; s.digits > 10 {
				return errors.New("chunk size too large")
			}
			s.left = s.left<<4 | int64(v)
		case s.digits == 0:
			return fmt.Errorf("chunk size: unexpected byte %q", c)
		case c == ';' || c == ' ' || c == '\t':
			s.phase = chunkExt
		case c == '\r':
			s.phase = chunkSizeEnd
		case c == '\n':
			s.sizeRead()
		default:
			return fmt.Errorf("chunk size: unexpected byte %q", c)
		}
	case chunkExt:
		switch c {
		case '\r':
			s.phase = chunkSizeEnd
		case '\n':
			s.sizeRead()
		}
	case chunkSizeEnd:
		if c != '\n' {
			return fmt.Errorf("chunk size line: want LF after CR, got %q", c)
		}
		s.sizeRead()
	case chunkDataCR:
		switch c {
		case '\r':
			s.phase = chunkDataLF
		case '\n':
			s.phase = chunkSize
		default:
			return fmt.Errorf("chunk data: want CRLF at its end, got %q", c)
		}
	case chunkDataLF:
		if c != '\n' {
			return fmt.Errorf("chunk data: want LF after CR, got %q", c)
		}
		s.phase = chunkSize
	}
	return nil
}

// sizeRead ends a size line: the data follows, or, for size 0, the body has ended (trailers,
// never sent on an event stream, are not read).
func (s *stream) sizeRead() {
	s.digits = 0
	if s.left == 0 {
		s.phase = chunkDone
		return
	}
	s.phase = chunkData
}

func hexValue(c byte) int {
	switch {
	case '0' <= c && c <= '9':
		return int(c - '0')
	case 'a' <= c && c <= 'f':
		return int(c-'a') + 10
	case 'A' <= c && c <= 'F':
		return int(c-'A') + 10
	}
	return -1
}

// lines splits event-stream bytes into lines, carrying an unfinished one to the next call.
func (s *stream) lines(p []byte, event func(int64, bool)) error {
	for len(p) > 0 {
		i := bytes.IndexByte(p, '\n')
		if i < 0 {
			if len(s.line)+len(p) > maxLine {
				return fmt.Errorf("event-stream line longer than %d bytes", maxLine)
			}
			s.line = append(s.line, p...)
			return nil
		}
		l := p[:i]
		if len(s.line) > 0 {
			s.line = append(s.line, l...)
			l = s.line
		}
		if n := len(l); n > 0 && l[n-1] == '\r' {
			l = l[:n-1]
		}
		s.fieldLine(l, event)
		s.line = s.line[:0]
		p = p[i+1:]
	}
	return nil
}

// fieldLine handles one complete line: a blank line dispatches the event if it has data
// (as the event-stream format says), a data field is searched for the stamp, anything else
// (comments, id, event, retry) is skipped.
func (s *stream) fieldLine(l []byte, event func(int64, bool)) {
	if len(l) == 0 {
		if s.hasData {
			event(s.stamp, s.stamped)
		}
		s.hasData, s.stamped, s.stamp = false, false, 0
		return
	}
	value, ok := bytes.CutPrefix(l, []byte("data"))
	if !ok {
		return
	}
	switch {
	case len(value) == 0:
	case value[0] == ':':
		value = value[1:]
	default:
		return // a field named data-something
	}
	s.hasData = true
	if !s.stamped {
		s.stamp, s.stamped = findStamp(value)
	}
}

var (
	stampKey       = []byte(`"ts":`)
	stampKeyQuoted = []byte(`\"ts\":`)
)

// findStamp returns the integer after the first "ts": in b, or after \"ts\": when b has no
// plain one. It scans bytes; it does not parse JSON.
func findStamp(b []byte) (int64, bool) {
	i := bytes.Index(b, stampKey)
	if i >= 0 {
		b = b[i+len(stampKey):]
	} else if i = bytes.Index(b, stampKeyQuoted); i >= 0 {
		b = b[i+len(stampKeyQuoted):]
	} else {
		return 0, false
	}
	b = bytes.TrimLeft(b, " \t")
	var v int64
	n := 0
	for ; n < len(b) && '0' <= b[n] && b[n] <= '9'; n++ {
		d := int64(b[n] - '0')
		if v > (math.MaxInt64-d)/10 {
			return 0, false
		}
		v = v*10 + d
	}
	return v, n > 0
}
