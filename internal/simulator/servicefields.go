package simulator

import (
	"encoding/json"
	"math"
	"slices"
	"strconv"
	"strings"
)

// serviceField is one key of a service's data: how get_services describes it, and how its
// voluptuous validator checks and coerces it.
type serviceField struct {
	key               string
	name, description string
	required          bool
	advanced          bool
	example           any // nil = none
	def               any // the default get_services shows; nil = none
	selector          object
	group             string // voluptuous Exclusive group: at most one key of a group may be given
	coerce            func(v any) (any, *invalid)
}

// describe is the field as get_services shows it.
func (f *serviceField) describe() object {
	var o object
	if f.required {
		o = append(o, member{"required", true})
	}
	if f.advanced {
		o = append(o, member{"advanced", true})
	}
	if f.example != nil {
		o = append(o, member{"example", f.example})
	}
	if f.def != nil {
		o = append(o, member{"default", f.def})
	}
	return append(o, member{"selector", f.selector}, member{"name", f.name}, member{"description", f.description})
}

// toFloat is vol.Coerce(float): numbers, booleans and numeric strings.
func toFloat(v any) (float64, bool) {
	switch v := v.(type) {
	case bool:
		if v {
			return 1, true
		}
		return 0, true
	case string:
		f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
		return f, err == nil && !math.IsInf(f, 0)
	}
	return number(v)
}

// toInt is vol.Coerce(int): Python's int() of a JSON value (floats truncate, "1.5" fails).
func toInt(v any) (int, bool) {
	switch v := v.(type) {
	case float64:
		return int(v), !math.IsNaN(v) && !math.IsInf(v, 0)
	case int:
		return v, true
	case json.Number:
		if f, err := v.Float64(); err == nil {
			return int(f), true
		}
		return 0, false
	}
	n, ok := coerceInt(v)
	return int(n), ok
}

// floatIn is vol.All(vol.Coerce(float), vol.Range(lo, hi)).
func floatIn(lo, hi float64) func(any) (any, *invalid) {
	return func(v any) (any, *invalid) {
		f, ok := toFloat(v)
		switch {
		case !ok:
			return nil, &invalid{msg: "expected float"}
		case f < lo:
			return nil, &invalid{msg: "value must be at least " + pyNumber(lo)}
		case f > hi:
			return nil, &invalid{msg: "value must be at most " + pyNumber(hi)}
		}
		return f, nil
	}
}

// intIn is vol.All(vol.Coerce(int), vol.Range(lo, hi)); hi < lo means no upper bound.
func intIn(lo, hi int) func(any) (any, *invalid) {
	return func(v any) (any, *invalid) {
		n, ok := toInt(v)
		switch {
		case !ok:
			return nil, &invalid{msg: "expected int"}
		case n < lo:
			return nil, &invalid{msg: "value must be at least " + strconv.Itoa(lo)}
		case hi >= lo && n > hi:
			return nil, &invalid{msg: "value must be at most " + strconv.Itoa(hi)}
		}
		return n, nil
	}
}

// clampFloat is vol.All(vol.Coerce(float), vol.Clamp(lo, hi)).
func clampFloat(lo, hi float64) func(any) (any, *invalid) {
	return func(v any) (any, *invalid) {
		f, ok := toFloat(v)
		if !ok {
			return nil, &invalid{msg: "expected float"}
		}
		return min(hi, max(lo, f)), nil
	}
}

// clampInt is vol.All(vol.Coerce(int), vol.Clamp(lo, hi)).
func clampInt(lo, hi int) func(any) (any, *invalid) {
	return func(v any) (any, *invalid) {
		n, ok := toInt(v)
		if !ok {
			return nil, &invalid{msg: "expected int"}
		}
		return min(hi, max(lo, n)), nil
	}
}

// oneOf is vol.In(options) (or vol.Coerce of a string enum, whose error names the enum: typeName).
func oneOf(typeName string, options ...string) func(any) (any, *invalid) {
	return func(v any) (any, *invalid) {
		if s, ok := v.(string); ok && slices.Contains(options, s) {
			return s, nil
		}
		if typeName != "" {
			return nil, &invalid{msg: "expected " + typeName}
		}
		sorted := slices.Sorted(slices.Values(options))
		return nil, &invalid{msg: "value must be one of " + pyRepr(toAny(sorted))}
	}
}

// cvString is cv.string: any scalar becomes its string; null and containers fail.
func cvString(v any) (any, *invalid) {
	switch v := v.(type) {
	case string:
		return v, nil
	case nil:
		return nil, &invalid{msg: "string value is None"}
	case map[string]any, []any:
		return nil, &invalid{msg: "value should be a string"}
	}
	return pyRepr(v), nil
}

// isBoolValue is the plain bool type in a voluptuous schema.
func isBoolValue(v any) (any, *invalid) {
	if b, ok := v.(bool); ok {
		return b, nil
	}
	return nil, &invalid{msg: "expected bool"}
}

// isDictValue is the plain dict type in a voluptuous schema.
func isDictValue(v any) (any, *invalid) {
	if m, ok := v.(map[string]any); ok {
		return m, nil
	}
	return nil, &invalid{msg: "expected dict"}
}

// isDict and isBool are the same checks for command schemas.
func isDict(v any) *invalid {
	_, bad := isDictValue(v)
	return bad
}

func isBool(v any) *invalid {
	_, bad := isBoolValue(v)
	return bad
}

// pyNumber writes a float as Python's str() writes it in voluptuous's range messages: 100 → 100
// when whole (vol.Range keeps the bound's type; our bounds are whole numbers written as ints).
func pyNumber(f float64) string {
	if f == math.Trunc(f) {
		return strconv.FormatFloat(f, 'f', 0, 64)
	}
	return strconv.FormatFloat(f, 'f', -1, 64)
}
