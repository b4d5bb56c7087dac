package format

import (
	"bytes"
	"strconv"
	"time"
)

// AppendMessage appends one complete SSE message to dst and returns the extended slice: an
// "event:" line when event is not empty, an "id:" line when id is not empty, one "data:" line per
// line of data, and the blank line that makes clients dispatch it.
//
// Any of "\n", "\r\n" and "\r" ends a line of data, so a client reads back data with every line
// break turned into "\n"; a trailing line break gives a trailing empty data: line, which keeps it.
// Empty data still gives one (empty) data: line, so the message is dispatched. Every other byte,
// NUL and invalid UTF-8 included, is written as it is.
//
// The event name and id must each stay one field that clients honour, so AppendMessage drops CR
// and LF from event, and CR, LF and NUL from id (a client ignores an id: line holding NUL). An
// event or id left empty by that gets no line at all: an empty id: line would reset the client's
// Last-Event-ID.
func AppendMessage(dst []byte, event, id string, data []byte) []byte {
	dst = appendField(dst, "id: ", id, true) // first, so that [Frame.BytesWithoutID] can cut it off
	dst = appendField(dst, "event: ", event, false)
	if bytes.IndexByte(data, '\n') < 0 && bytes.IndexByte(data, '\r') < 0 {
		dst = append(dst, "data: "...)
		dst = append(dst, data...)
		return append(dst, "\n\n"...)
	}
	dst = appendLines(dst, "data: ", data)
	return append(dst, '\n')
}

// AppendRetry appends the field "retry: <ms>\n", which tells EventSource clients how long to wait
// before reconnecting; d is truncated to whole milliseconds, and negative d counts as 0. It ends
// no message: the message appended next carries it, so no client sees an empty event.
func AppendRetry(dst []byte, d time.Duration) []byte {
	dst = append(dst, "retry: "...)
	dst = strconv.AppendInt(dst, max(d.Milliseconds(), 0), 10)
	return append(dst, '\n')
}

// appendLines appends prefix and one line of text, then "\n", for every line of text.
func appendLines(dst []byte, prefix string, text []byte) []byte {
	for {
		i := 0
		for i < len(text) && text[i] != '\n' && text[i] != '\r' {
			i++
		}
		dst = append(dst, prefix...)
		dst = append(dst, text[:i]...)
		dst = append(dst, '\n')
		if i == len(text) {
			return dst
		}
		if text[i] == '\r' && i+1 < len(text) && text[i+1] == '\n' {
			i++
		}
		text = text[i+1:]
	}
}

// appendField appends the line name+value unless value is empty, leaving out the bytes that
// [dropped] names (see [AppendMessage]).
func appendField(dst []byte, name, value string, noNUL bool) []byte {
	clean := true
	for i := 0; i < len(value) && clean; i++ {
		clean = !dropped(value[i], noNUL)
	}
	if clean {
		if value == "" {
			return dst
		}
		dst = append(dst, name...)
		dst = append(dst, value...)
		return append(dst, '\n')
	}
	start := len(dst)
	dst = append(dst, name...)
	mark := len(dst)
	for i := 0; i < len(value); i++ {
		if !dropped(value[i], noNUL) {
			dst = append(dst, value[i])
		}
	}
	if len(dst) == mark {
		return dst[:start]
	}
	return append(dst, '\n')
}

// dropped reports whether c is left out of an event or id field: CR and LF would end the line,
// and clients ignore an id: line holding NUL.
func dropped(c byte, noNUL bool) bool {
	return c == '\n' || c == '\r' || noNUL && c == 0
}

// beginMessage appends the event and id lines of a message and the start of its first data: line,
// and returns where the message and its data start. The caller appends the data directly, on one
// line, and calls [endMessage].
func beginMessage(dst []byte, event, id string) (out []byte, start, data int) {
	start = len(dst)
	dst = appendField(dst, "id: ", id, true)
	dst = appendField(dst, "event: ", event, false)
	dst = append(dst, "data: "...)
	return dst, start, len(dst)
}

// endMessage ends the message begun by [beginMessage]. Data that came out on one line, as it
// always does from compact JSON, just gets its blank line; data holding a line break is encoded
// again by [AppendMessage], one data: line per line.
func endMessage(dst []byte, event, id string, start, data int) []byte {
	if bytes.IndexByte(dst[data:], '\n') < 0 && bytes.IndexByte(dst[data:], '\r') < 0 {
		return append(dst, "\n\n"...)
	}
	text := bytes.Clone(dst[data:])
	return AppendMessage(dst[:start], event, id, text)
}
