package tail

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"github.com/google/go-cmp/cmp"
	sse "github.com/tmaxmax/go-sse"

	"hasse/internal/format"
)

// readAll reads every block of stream with a reader whose messages may hold max bytes.
func readAll(stream string, max int) ([]Message, error) {
	r := newReader(iotest.OneByteReader(strings.NewReader(stream)), max, "")
	var got []Message
	for {
		m, err := r.next()
		if err != nil {
			if err == io.EOF {
				err = nil
			}
			return got, err
		}
		got = append(got, m)
	}
}

func TestReader(t *testing.T) {
	for _, tc := range []struct {
		name, stream string
		want         []Message
	}{
		{"hasse's first frame", "retry: 3120\ndata: {\"type\":\"connection\"}\n\nid: e-1\ndata: {}\n\n", []Message{
			{Data: `{"type":"connection"}`, HasData: true, Retry: 3120 * time.Millisecond},
			{Data: "{}", HasData: true, LastEventID: "e-1", HasID: true},
		}},
		{"named, id carried on", "event: state_changed\nid: e-7\ndata: a\n\nevent: gap\ndata: b\n\n", []Message{
			{Event: "state_changed", Data: "a", HasData: true, LastEventID: "e-7", HasID: true},
			{Event: "gap", Data: "b", HasData: true, LastEventID: "e-7"},
		}},
		{"CRLF, CR and a BOM", "\ufeffdata: a\r\ndata:b\r\rdata:  c\r\n\r\n", []Message{
			{Data: "a\nb", HasData: true},
			{Data: " c", HasData: true},
		}},
		{"comments and unknown fields", ": keepalive 2026-11-25T12:00:00Z\n\nfoo: bar\ndata\n\n", []Message{
			{Data: "", HasData: true},
		}},
		{"an id with NUL is ignored", "id: a\x00b\ndata: x\n\n", []Message{{Data: "x", HasData: true}}},
		{"a bad retry is ignored", "retry: 3s\ndata: x\n\nretry: -1\n\n", []Message{{Data: "x", HasData: true}}},
		{"id alone", "id: e-9\n\n", []Message{{LastEventID: "e-9", HasID: true}}},
		{"an unfinished block is dropped", "data: a\n\ndata: b\n", []Message{{Data: "a", HasData: true}}},
		{"an unterminated line is dropped", "data: a\n\ndata: b", []Message{{Data: "a", HasData: true}}},
	} {
		got, err := readAll(tc.stream, 1<<10)
		if diff := cmp.Diff(tc.want, got); err != nil || diff != "" {
			t.Errorf("%s: reading %q: error %v, diff (-want +got):\n%s", tc.name, tc.stream, err, diff)
		}
	}
}

func TestReaderTooLarge(t *testing.T) {
	for _, stream := range []string{
		"data: " + strings.Repeat("x", 100) + "\n\n",                    // one long line
		strings.Repeat("data: "+strings.Repeat("x", 30)+"\n", 4) + "\n", // many lines
	} {
		if _, err := readAll(stream, 64); !errors.Is(err, errTooLarge) {
			t.Errorf("reading a %d-byte message with a 64-byte limit: error %v, want errTooLarge", len(stream), err)
		}
	}
}

// appendComment appends text as SSE comment lines, as a proxy or another server may send them
// (the gateway sends none): ": " and one line of text each, any line break ending a line, then
// a blank line.
func appendComment(dst []byte, text string) []byte {
	for _, line := range strings.Split(strings.ReplaceAll(strings.ReplaceAll(text, "\r\n", "\n"), "\r", "\n"), "\n") {
		dst = append(append(append(dst, ": "...), line...), '\n')
	}
	return append(dst, '\n')
}

// FuzzReader writes messages with the gateway's own SSE encoder, and comments, and reads them back: the
// reader must see what go-sse's parser sees (it follows the HTML standard), and the retry
// hint the encoder wrote.
func FuzzReader(f *testing.F) {
	f.Add("state_changed", "k3x9-1042", []byte(`{"a":1}`), "keepalive", uint16(3000))
	f.Add("", "", []byte("a\r\nb\rc\n"), "", uint16(0))
	f.Add("", "x\x00y", []byte(""), "two\nlines", uint16(1))
	f.Fuzz(func(t *testing.T, event, id string, data []byte, comment string, retry uint16) {
		var b []byte
		if retry > 0 {
			b = format.AppendRetry(b, time.Duration(retry)*time.Millisecond)
		}
		b = format.AppendMessage(b, event, id, data)
		b = appendComment(b, comment)
		b = format.AppendMessage(b, "next", "", []byte("after"))

		var want []Message
		for ev, err := range sse.Read(bytes.NewReader(b), &sse.ReadConfig{MaxEventSize: 1 << 20}) {
			if err != nil {
				t.Fatalf("sse.Read(%q): %v", b, err)
			}
			want = append(want, Message{Event: ev.Type, Data: ev.Data, HasData: true, LastEventID: ev.LastEventID})
		}
		if len(want) == 2 {
			want[0].HasID = want[0].LastEventID != ""
			want[0].Retry = time.Duration(retry) * time.Millisecond
		}
		got, err := readAll(string(b), 1<<20)
		if diff := cmp.Diff(want, got); err != nil || diff != "" {
			t.Errorf("reading %q: error %v, diff (-go-sse +ours):\n%s", b, err, diff)
		}
	})
}
