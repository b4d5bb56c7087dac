package simulator

import (
	"encoding/json"
	"slices"
	"strconv"
	"strings"
)

// field is one key of a message schema, checked as Home Assistant's voluptuous schemas check it.
type field struct {
	key      string
	required bool
	check    func(v any) *invalid // nil when v is valid
}

// invalid is a value that failed its check: voluptuous's message ("expected str") and the path
// below the field's key (strings are keys, ints are list indexes). plain marks an error
// voluptuous writes without " for dictionary value" (errors deeper than the key's own value).
type invalid struct {
	msg   string
	path  []any
	plain bool
}

// validate checks a message against its schema's fields (the keys "id" and "type" of commands are
// fields too) and returns "" or the error text HA writes: every problem humanised as
// "<problem> @ data['key']. Got <value>", sorted, one per line.
func validate(msg any, fields []field) string {
	m, ok := msg.(map[string]any)
	if !ok {
		return "expected a dictionary. Got " + pyRepr(msg)
	}
	var problems []string
	for k, v := range m {
		if !slices.ContainsFunc(fields, func(f field) bool { return f.key == k }) {
			problems = append(problems, "extra keys not allowed @ "+dataPath(k)+". Got "+pyRepr(v))
		}
	}
	for _, f := range fields {
		v, ok := m[f.key]
		switch {
		case !ok && f.required:
			problems = append(problems, "required key not provided @ "+dataPath(f.key)+". Got None")
		case ok && f.check != nil:
			if bad := f.check(v); bad != nil {
				problems = append(problems, bad.String(f.key)+". Got "+pyRepr(nestedGet(v, bad.path)))
			}
		}
	}
	slices.Sort(problems)
	return strings.Join(problems, "\n")
}

// String writes the error as voluptuous's str() does for a value below key:
// "expected int for dictionary value @ data['features']['coalesce_messages']".
func (e *invalid) String(key string) string {
	if e.plain {
		return e.msg + " @ " + dataPath(key, e.path...)
	}
	return e.msg + " for dictionary value @ " + dataPath(key, e.path...)
}

// dataPath writes a voluptuous path: data['features']['coalesce_messages'], data['ids'][0].
func dataPath(key string, below ...any) string {
	var b strings.Builder
	b.WriteString("data")
	for _, k := range append([]any{key}, below...) {
		b.WriteString("[" + pyRepr(k) + "]")
	}
	return b.String()
}

// nestedGet is voluptuous's _nested_getitem, which humanize_error uses for "Got …": v indexed by
// path as Python would index it (a string by character), or None when that fails.
func nestedGet(v any, path []any) any {
	for _, k := range path {
		switch x := v.(type) {
		case map[string]any:
			s, _ := k.(string)
			e, ok := x[s]
			if !ok {
				return nil
			}
			v = e
		case []any:
			i, ok := k.(int)
			if !ok || i < 0 || i >= len(x) {
				return nil
			}
			v = x[i]
		case string:
			i, ok := k.(int)
			r := []rune(x)
			if !ok || i < 0 || i >= len(r) {
				return nil
			}
			v = string(r[i])
		default:
			return nil
		}
	}
	return v
}

// anyValue accepts any value (the id and type keys, checked before the schema).
func anyValue(any) *invalid { return nil }

func isString(v any) *invalid {
	if _, ok := v.(string); !ok {
		return &invalid{msg: "expected str"}
	}
	return nil
}

// isLiteral accepts exactly the string want.
func isLiteral(want string) func(any) *invalid {
	return func(v any) *invalid {
		if s, ok := v.(string); !ok || s != want {
			return &invalid{msg: "not a valid value"}
		}
		return nil
	}
}

// isPositiveInt is HA's cv.positive_int: anything int() accepts (numbers, numeric strings), ≥ 0.
func isPositiveInt(v any) *invalid {
	if _, ok := coerceInt(v); !ok {
		return &invalid{msg: "expected int"}
	}
	if n, _ := coerceInt(v); n < 0 {
		return &invalid{msg: "value must be at least 0"}
	}
	return nil
}

// coerceInt converts v as Python's int() would convert a JSON value.
func coerceInt(v any) (int64, bool) {
	switch v := v.(type) {
	case json.Number:
		if n, err := v.Int64(); err == nil {
			return n, true
		}
		if f, err := v.Float64(); err == nil {
			return int64(f), true
		}
	case string:
		n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
		return n, err == nil
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	}
	return 0, false
}

// isIntMap is the schema {str: int}: an object whose values are integers (or booleans, which are
// ints in Python).
func isIntMap(v any) *invalid {
	m, ok := v.(map[string]any)
	if !ok {
		return &invalid{msg: "expected a dictionary"}
	}
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		switch e := m[k].(type) {
		case bool:
			continue
		case json.Number:
			if _, err := e.Int64(); err == nil {
				continue
			}
		}
		return &invalid{msg: "expected int", path: []any{k}}
	}
	return nil
}

// jsonInt returns v as an integer when it is a JSON integer literal (not 5.0, not "5", not true).
func jsonInt(v any) (int64, bool) {
	n, ok := v.(json.Number)
	if !ok || strings.ContainsAny(string(n), ".eE") {
		return 0, false
	}
	i, err := n.Int64()
	return i, err == nil
}

// pyRepr writes a JSON value as Python's repr writes what json.loads made of it, cut to 500
// characters as voluptuous cuts it.
func pyRepr(v any) string {
	s := string(appendRepr(nil, v))
	if len(s) > 500 {
		s = s[:497] + "..."
	}
	return s
}

func appendRepr(b []byte, v any) []byte {
	switch v := v.(type) {
	case nil:
		return append(b, "None"...)
	case bool:
		if v {
			return append(b, "True"...)
		}
		return append(b, "False"...)
	case json.Number:
		if f, err := v.Float64(); err == nil && strings.ContainsAny(string(v), ".eE") {
			return appendFloat(b, f)
		}
		return append(b, v...)
	case string:
		quote := byte('\'')
		if strings.Contains(v, "'") && !strings.Contains(v, `"`) {
			quote = '"'
		}
		b = append(b, quote)
		for _, r := range v {
			switch {
			case r == '\\' || r == rune(quote):
				b = append(b, '\\', byte(r))
			case r == '\n':
				b = append(b, `\n`...)
			case r == '\t':
				b = append(b, `\t`...)
			case r == '\r':
				b = append(b, `\r`...)
			case r < 0x20:
				b = append(b, `\x`...)
				b = append(b, "0123456789abcdef"[r>>4], "0123456789abcdef"[r&0xf])
			default:
				b = append(b, string(r)...)
			}
		}
		return append(b, quote)
	case []any:
		b = append(b, '[')
		for i, e := range v {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendRepr(b, e)
		}
		return append(b, ']')
	case map[string]any:
		keys := make([]string, 0, len(v))
		for k := range v {
			keys = append(keys, k)
		}
		slices.Sort(keys)
		b = append(b, '{')
		for i, k := range keys {
			if i > 0 {
				b = append(b, ", "...)
			}
			b = appendRepr(b, k)
			b = append(b, ": "...)
			b = appendRepr(b, v[k])
		}
		return append(b, '}')
	}
	return appendJSON(b, v)
}
