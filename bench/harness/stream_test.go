package main

import (
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// stamped is what stream reports of one event.
type stamped struct {
	Stamp int64
	OK    bool
}

// chunked encodes parts as HTTP/1.1 chunks, one each, and the last chunk when last is set.
func chunked(last bool, parts ...string) string {
	var b strings.Builder
	for _, p := range parts {
		fmt.Fprintf(&b, "%x\r\n%s\r\n", len(p), p)
	}
	if last {
		b.WriteString("0\r\n\r\n")
	}
	return b.String()
}

// decodeAll feeds in to a new stream in pieces of at most step bytes.
func decodeAll(isChunked bool, in string, step int) ([]stamped, error) {
	s := &stream{chunked: isChunked}
	var got []stamped
	record := func(v int64, ok bool) { got = append(got, stamped{v, ok}) }
	for len(in) > 0 {
		n := min(step, len(in))
		if err := s.feed([]byte(in[:n]), record); err != nil {
			return got, err
		}
		in = in[n:]
	}
	return got, nil
}

func TestStream(t *testing.T) {
	hasse := "id: 1-1\nevent: state_changed\ndata: {\"data\":{\"new_state\":{\"attributes\":{\"ts\":1700000000123456789}}}}\n\n"
	for _, tc := range []struct {
		name    string
		chunked bool
		in      string
		want    []stamped
		wantErr error // errStreamEnd, or nil
		bad     bool  // some other error
	}{
		{name: "plain event", in: "data: {\"ts\":42}\n\n", want: []stamped{{42, true}}},
		{name: "CRLF lines", in: "data: {\"ts\":42}\r\n\r\n", want: []stamped{{42, true}}},
		{name: "no space after colon", in: "data:{\"ts\": 7,\"x\":1}\n\n", want: []stamped{{7, true}}},
		{name: "stamp in an escaped JSON string", in: "data: {\"p\":\"{\\\"ts\\\":99}\"}\n\n", want: []stamped{{99, true}}},
		{name: "plain stamp wins over escaped", in: "data: {\"p\":\"{\\\"ts\\\":1}\",\"ts\":2}\n\n", want: []stamped{{2, true}}},
		{name: "first data line's stamp wins", in: "data: {\"ts\":5}\ndata: {\"ts\":6}\n\n", want: []stamped{{5, true}}},
		{name: "stamp on a later data line", in: "data: {}\ndata: {\"ts\":6}\n\n", want: []stamped{{6, true}}},
		{name: "no stamp", in: "data: {\"state\":\"on\"}\n\n", want: []stamped{{0, false}}},
		{name: "stamp not a number", in: "data: {\"ts\":\"x\"}\n\n", want: []stamped{{0, false}}},
		{name: "empty data field is an event", in: "data\n\n", want: []stamped{{0, false}}},
		{name: "comments and retry are not events", in: ": keep-alive\n\nretry: 1000\n\n"},
		{name: "id and event without data are not events", in: "id: 3\nevent: x\n\n"},
		{name: "datum is not data", in: "datum: {\"ts\":1}\n\n"},
		{name: "unfinished event waits", in: "data: {\"ts\":1}\n"},
		{name: "hasse-like frames", in: hasse + ": ping\n\n" + hasse, want: []stamped{{1700000000123456789, true}, {1700000000123456789, true}}},
		{name: "chunked", chunked: true, in: chunked(false, "data: {\"ts\":1}\n\n", "data: {\"ts\":2}\n\n"), want: []stamped{{1, true}, {2, true}}},
		{name: "event split across chunks", chunked: true, in: chunked(false, "data: {\"t", "s\":3}\n", "\n"), want: []stamped{{3, true}}},
		{name: "chunk extension and upper-case hex", chunked: true, in: "1A;x=y\r\ndata: {\"ts\":4, \"pad\":12}\n\n\r\n", want: []stamped{{4, true}}},
		{name: "bare LF chunk framing", chunked: true, in: "10\ndata: {\"ts\":4}\n\n\n", want: []stamped{{4, true}}},
		{name: "last chunk ends the stream", chunked: true, in: chunked(true, "data: {\"ts\":8}\n\n"), want: []stamped{{8, true}}, wantErr: errStreamEnd},
		{name: "chunk size not hex", chunked: true, in: "zz\r\n", bad: true},
		{name: "chunk without its CRLF", chunked: true, in: "2\r\nabX", bad: true},
		{name: "chunk size too large", chunked: true, in: "fffffffffff\r\n", bad: true},
	} {
		// Every way of splitting the input into reads gives the same events.
		for step := 1; step <= len(tc.in); step++ {
			got, err := decodeAll(tc.chunked, tc.in, step)
			switch {
			case tc.bad && (err == nil || errors.Is(err, errStreamEnd)):
				t.Fatalf("%s, reads of %d bytes: error %v, want a decoding error", tc.name, step, err)
			case !tc.bad && !errors.Is(err, tc.wantErr):
				t.Fatalf("%s, reads of %d bytes: error %v, want %v", tc.name, step, err, tc.wantErr)
			}
			if diff := cmp.Diff(tc.want, got); !tc.bad && diff != "" {
				t.Fatalf("%s, reads of %d bytes: events (-want +got):\n%s", tc.name, step, diff)
			}
		}
	}
}

func TestStreamLineLimit(t *testing.T) {
	s := &stream{}
	long := []byte("data: " + strings.Repeat("x", maxLine))
	if err := s.feed(long, func(int64, bool) {}); err == nil {
		t.Errorf("feed of a %d-byte line without its end: no error, want one", len(long))
	}
}

func TestFindStamp(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want int64
		ok   bool
	}{
		{`{"ts":123}`, 123, true},
		{`{"ts":  123,"a":1}`, 123, true},
		{`{"a":{"ts":9}}`, 9, true},
		{`{"xts":5}`, 0, false}, // "xts" is another key: its quote is not before ts
		{`{"ts":-1}`, 0, false},
		{`{"ts":}`, 0, false},
		{`{"t":1}`, 0, false},
		{`"ts":9223372036854775807`, 9223372036854775807, true},
		{`"ts":9223372036854775808`, 0, false}, // past int64: no overflow
	} {
		got, ok := findStamp([]byte(tc.in))
		if got != tc.want || ok != tc.ok {
			t.Errorf("findStamp(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
		}
	}
}
