package format

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	sse "github.com/tmaxmax/go-sse"
)

// message is one event as a client reads it: its Last-Event-ID, event name and data.
type message struct {
	ID, Event, Data string
}

// parse reads b as an SSE stream with go-sse's parser, which follows the WHATWG rules.
func parse(t testing.TB, b []byte) []message {
	t.Helper()
	var got []message
	for ev, err := range sse.Read(bytes.NewReader(b), &sse.ReadConfig{MaxEventSize: 1 << 24}) {
		if err != nil {
			t.Fatalf("sse.Read(%q): %v", b, err)
		}
		got = append(got, message{ev.LastEventID, ev.Type, ev.Data})
	}
	return got
}

// checkFraming fails unless b is a sequence of whole SSE messages as this package writes them:
// lines ended by "\n" alone, no blank line but the one closing each message, and that one last.
func checkFraming(t testing.TB, b []byte) {
	t.Helper()
	if bytes.IndexByte(b, '\r') >= 0 {
		t.Errorf("%q holds CR", b)
	}
	if i := bytes.Index(b, []byte("\n\n")); i != len(b)-2 {
		t.Errorf("%q: first blank line at %d, want only one, at the end (%d)", b, i, len(b)-2)
	}
}

// hasIDLine reports whether b holds an id: line.
func hasIDLine(b []byte) bool {
	for line := range bytes.Lines(b) {
		if bytes.HasPrefix(line, []byte("id:")) {
			return true
		}
	}
	return false
}

func TestAppendMessage(t *testing.T) {
	for _, tc := range []struct {
		name, event, id, data string
		wire                  string
		want                  message
	}{
		{"data only", "", "", `{"a":1}`, "data: {\"a\":1}\n\n", message{"", "", `{"a":1}`}},
		{"all fields", "state_changed", "k3x9-1", "x", "id: k3x9-1\nevent: state_changed\ndata: x\n\n", message{"k3x9-1", "state_changed", "x"}},
		{"empty data", "e", "", "", "event: e\ndata: \n\n", message{"", "e", ""}},
		{"LF", "", "", "a\nb", "data: a\ndata: b\n\n", message{"", "", "a\nb"}},
		{"CRLF", "", "", "a\r\nb", "data: a\ndata: b\n\n", message{"", "", "a\nb"}},
		{"CR", "", "", "a\rb", "data: a\ndata: b\n\n", message{"", "", "a\nb"}},
		{"CR CR LF", "", "", "a\r\r\nb", "data: a\ndata: \ndata: b\n\n", message{"", "", "a\n\nb"}},
		{"trailing LF", "", "", "a\n", "data: a\ndata: \n\n", message{"", "", "a\n"}},
		{"only LF", "", "", "\n", "data: \ndata: \n\n", message{"", "", "\n"}},
		{"leading space", "", "", " a", "data:  a\n\n", message{"", "", " a"}},
		{"leading space in event and id", " e", " 1", "x", "id:  1\nevent:  e\ndata: x\n\n", message{" 1", " e", "x"}},
		{"NUL and invalid UTF-8 in data", "", "", "a\x00\xff", "data: a\x00\xff\n\n", message{"", "", "a\x00\xff"}},
		{"line breaks in event and id", "a\r\nb", "1\n2\r", "x", "id: 12\nevent: ab\ndata: x\n\n", message{"12", "ab", "x"}},
		{"NUL in id", "e\x00", "1\x002", "x", "id: 12\nevent: e\x00\ndata: x\n\n", message{"12", "e\x00", "x"}},
		{"event and id only line breaks", "\n", "\r\x00", "x", "data: x\n\n", message{"", "", "x"}},
	} {
		got := AppendMessage(nil, tc.event, tc.id, []byte(tc.data))
		if string(got) != tc.wire {
			t.Errorf("%s: AppendMessage(nil, %q, %q, %q) = %q, want %q", tc.name, tc.event, tc.id, tc.data, got, tc.wire)
		}
		if diff := cmp.Diff([]message{tc.want}, parse(t, got)); diff != "" {
			t.Errorf("%s: parsed AppendMessage(nil, %q, %q, %q) (-want +got):\n%s", tc.name, tc.event, tc.id, tc.data, diff)
		}
	}
}

func TestAppendMessageAppends(t *testing.T) {
	dst := []byte("retry: 1\n\n")
	got := AppendMessage(dst, "", "", []byte("a\nb"))
	if want := "retry: 1\n\ndata: a\ndata: b\n\n"; string(got) != want {
		t.Errorf("AppendMessage(%q, …) = %q, want %q", dst, got, want)
	}
}

func TestAppendRetry(t *testing.T) {
	for _, tc := range []struct {
		d    time.Duration
		want string
	}{
		{3 * time.Second, "retry: 3000\n"},
		{1500*time.Millisecond + 999*time.Microsecond, "retry: 1500\n"},
		{0, "retry: 0\n"},
		{-time.Second, "retry: 0\n"},
	} {
		if got := AppendRetry(nil, tc.d); string(got) != tc.want {
			t.Errorf("AppendRetry(nil, %v) = %q, want %q", tc.d, got, tc.want)
		}
	}
}

// normalizeLines turns every line break ("\r\n", "\r", "\n") into "\n", as SSE clients do with data.
func normalizeLines(s string) string {
	return strings.ReplaceAll(strings.ReplaceAll(s, "\r\n", "\n"), "\r", "\n")
}

// FuzzAppendMessage round-trips arbitrary messages through go-sse's parser. What the encoder
// guarantees: the message is one event whose data reads back with line breaks as "\n", whose
// name and id read back without CR, LF (and NUL, for the id), and after which the stream goes on.
func FuzzAppendMessage(f *testing.F) {
	f.Add("", "", []byte(`{"type":"ping"}`))
	f.Add("state_changed", "k3x9-1042", []byte("{\"a\":\r\n1}\r"))
	f.Fuzz(func(t *testing.T, event, id string, data []byte) {
		const nextID = "next-1"
		b := AppendMessage(nil, event, id, data)
		checkFraming(t, b)
		b = AppendMessage(b, "next", nextID, []byte("after"))

		// cutBytes leaves out every byte in cut, and leaves invalid UTF-8 alone.
		cutBytes := func(s, cut string) string {
			var sb strings.Builder
			for i := 0; i < len(s); i++ {
				if strings.IndexByte(cut, s[i]) < 0 {
					sb.WriteByte(s[i])
				}
			}
			return sb.String()
		}
		want := []message{
			{cutBytes(id, "\r\n\x00"), cutBytes(event, "\r\n"), normalizeLines(string(data))},
			{nextID, "next", "after"},
		}
		if diff := cmp.Diff(want, parse(t, b)); diff != "" {
			t.Errorf("parsed AppendMessage(nil, %q, %q, %q) = %q (-want +got):\n%s", event, id, data, b, diff)
		}
	})
}

func BenchmarkAppendMessage(b *testing.B) {
	line := []byte(`{"key":"0123456789abcdef0123456789abcdef0123456789abcdef"}` + "\n") // 64 bytes
	for _, bc := range []struct {
		name string
		data []byte
	}{
		{"lines=1", bytes.Repeat(line[:len(line)-1], 16)}, // 1008 bytes
		{"lines=16", bytes.Repeat(line, 16)},              // 1024 bytes
	} {
		b.Run(bc.name, func(b *testing.B) {
			dst := make([]byte, 0, 4096)
			b.ReportAllocs()
			b.SetBytes(int64(len(bc.data)))
			for b.Loop() {
				dst = AppendMessage(dst[:0], "state_changed", "k3x9-1042", bc.data)
			}
		})
	}
}
