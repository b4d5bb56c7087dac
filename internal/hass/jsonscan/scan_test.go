package jsonscan

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

func TestValidate(t *testing.T) {
	for _, tc := range []struct {
		in      string
		compact bool
		valid   bool
	}{
		{`{"a":[1,-2.5e+3,true,false,null,"x\"\\\/\b\f\n\r\t\u00e9"]}`, true, true},
		{` {"a" : 1}` + "\n", false, true},
		{`"héllo"`, true, true},
		{`0`, true, true},
		{`[]`, true, true},
		{`{}`, true, true},
		{``, true, false},
		{`01`, true, false},
		{`1.`, true, false},
		{`1e`, true, false},
		{`-`, true, false},
		{`.5`, true, false},
		{`{"a":1,}`, true, false},
		{`[1,]`, true, false},
		{`{"a" 1}`, true, false},
		{`{1:1}`, true, false},
		{`"a` + "\t" + `b"`, true, false},
		{`"\x"`, true, false},
		{`"\u12g4"`, true, false},
		{`"\u12"`, true, false},
		{`tru`, true, false},
		{`nulls`, true, false},
		{`{} {}`, true, false},
		{strings.Repeat("[", MaxDepth) + strings.Repeat("]", MaxDepth), true, true},
		{strings.Repeat("[", MaxDepth+1) + strings.Repeat("]", MaxDepth+1), true, false},
	} {
		compact, err := Validate([]byte(tc.in))
		if (err == nil) != tc.valid || tc.valid && compact != tc.compact {
			t.Errorf("Validate(%.40q) = %v, %v; want compact %v, valid %v", tc.in, compact, err, tc.compact, tc.valid)
		}
		if tc.valid != json.Valid([]byte(tc.in)) {
			t.Errorf("encoding/json disagrees on %.40q", tc.in)
		}
	}
}

func TestWalk(t *testing.T) {
	in := ` { "a" : [ 1 , {"b":"]}\"\\"} ] , "c\"d":"x" ,"e":-1.5e3,"f":{}} `
	var keys, vals []string
	for m := Walk(bytes.TrimSpace([]byte(in))); ; {
		k, v, ok := m.Next()
		if !ok {
			break
		}
		keys, vals = append(keys, string(k)), append(vals, string(v))
	}
	if diff := cmp.Diff([]string{"a", `c\"d`, "e", "f"}, keys); diff != "" {
		t.Errorf("keys, diff (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{`[ 1 , {"b":"]}\"\\"} ]`, `"x"`, `-1.5e3`, `{}`}, vals); diff != "" {
		t.Errorf("values, diff (-want +got):\n%s", diff)
	}
}

// FuzzValidate checks validate against encoding/json, and walk against json.Unmarshal.
func FuzzValidate(f *testing.F) {
	for _, s := range []string{`{"a":[1,"x\"y",{"b":null}]}`, ` [1, 2.5e-3 ,"\u00e9"] `, `{"a":1,}`, `"\ud800"`, `-0.0E+1`} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		compact, err := Validate(b)
		if want := json.Valid(b); (err == nil) != want {
			t.Fatalf("Validate(%q) error %v, json.Valid %v", b, err, want)
		}
		if err != nil || !utf8.Valid(b) { // str keeps invalid UTF-8; encoding/json replaces it
			return
		}
		if !compact {
			var buf bytes.Buffer
			_ = json.Compact(&buf, b)
			if buf.Len() == len(b) {
				t.Errorf("Validate(%q) says not compact, but json.Compact changes nothing", b)
			}
		}
		b = bytes.TrimSpace(b)
		switch b[0] {
		case '{':
			var want map[string]json.RawMessage
			_ = json.Unmarshal(b, &want)
			got := map[string]json.RawMessage{}
			for m := Walk(b); ; {
				k, v, ok := m.Next()
				if !ok {
					break
				}
				key, ok := Unquote([]byte(`"` + string(k) + `"`))
				if !ok {
					t.Fatalf("Walk(%q) returned key %q", b, k)
				}
				got[key] = v
			}
			if !cmp.Equal(normal(t, want), normal(t, got)) {
				t.Errorf("Walk(%q) = %q, json.Unmarshal %q", b, got, want)
			}
		case '[':
			var want []json.RawMessage
			_ = json.Unmarshal(b, &want)
			got := []json.RawMessage{}
			for m := Walk(b); ; {
				_, v, ok := m.Next()
				if !ok {
					break
				}
				got = append(got, v)
			}
			if !cmp.Equal(normal(t, want), normal(t, got)) {
				t.Errorf("Walk(%q) = %q, json.Unmarshal %q", b, got, want)
			}
		}
	})
}

// normal re-encodes v's raw values so that spans compare whatever their whitespace.
func normal[T any](t *testing.T, v T) string {
	b, err := json.Marshal(v)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}
