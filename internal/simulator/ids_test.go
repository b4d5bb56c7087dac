package simulator

import (
	"encoding/json"
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestHexID(t *testing.T) {
	id := hexID(rand.New(rand.NewPCG(1, 1)), 16)
	if !userIDRE.MatchString(id) {
		t.Errorf("hexID(16) = %q, want 32 lowercase hex characters", id)
	}
}

func TestAppendJSON(t *testing.T) {
	for _, tc := range []struct {
		in   any
		want string
	}{
		{21.0, `21.0`},
		{21.5, `21.5`},
		{-0.25, `-0.25`},
		{1e21, `1e+21`},
		{math.NaN(), `null`},
		{7, `7`},
		{json.Number("7.50"), `7.50`},
		{"a&b<c>\"d\"\\ \n\t\x01 °C", `"a&b<c>\"d\"\\ \n\t\u0001 °C"`},
		{"bad \xff byte", `"bad \ufffd byte"`},
		{map[string]any{"b": 1, "a": []any{true, nil, "x"}}, `{"a":[true,null,"x"],"b":1}`},
		{object{{"z", 1}, {"a", 2}}, `{"z":1,"a":2}`},
		{[]string{"x", "y"}, `["x","y"]`},
		{Context{ID: "01ABC"}, `{"id":"01ABC","parent_id":null,"user_id":null}`},
		{(*State)(nil), `null`},
		{struct{ A int }{3}, `{"A":3}`},
	} {
		got := string(appendJSON(nil, tc.in))
		if got != tc.want {
			t.Errorf("appendJSON(%#v) = %s, want %s", tc.in, got, tc.want)
		}
		if !json.Valid([]byte(got)) {
			t.Errorf("appendJSON(%#v) = %s, not valid JSON", tc.in, got)
		}
	}
}

func TestStateJSON(t *testing.T) {
	at := time.Date(2025, 3, 14, 9, 31, 40, 120567000, time.UTC)
	st := State{EntityID: "light.kitchen", State: "on", Attributes: map[string]any{"brightness": 204, "friendly_name": "Kitchen"},
		LastChanged: at, LastReported: at.Add(time.Second), LastUpdated: at,
		Context: Context{ID: "01JPB3ZK7V1X3Z5B7D9F1H3K5M", UserID: "4f2b9c1e0d3a47b8a6c5e9f102938475"}}
	b, err := json.Marshal(st)
	if err != nil {
		t.Fatal(err)
	}
	want := `{"entity_id":"light.kitchen","state":"on","attributes":{"brightness":204,"friendly_name":"Kitchen"},` +
		`"last_changed":"2025-03-14T09:31:40.120567+00:00","last_reported":"2025-03-14T09:31:41.120567+00:00",` +
		`"last_updated":"2025-03-14T09:31:40.120567+00:00",` +
		`"context":{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":"4f2b9c1e0d3a47b8a6c5e9f102938475"}}`
	if diff := cmp.Diff(want, string(b)); diff != "" {
		t.Errorf("State JSON (-want +got):\n%s", diff)
	}
}

func TestEqualValues(t *testing.T) {
	for _, tc := range []struct {
		a, b any
		want bool
	}{
		{1, 1.0, true},
		{json.Number("2"), 2, true},
		{true, 1, false},
		{"1", 1, false},
		{[]any{1, "a"}, []any{1.0, "a"}, true},
		{[]string{"a"}, []any{"a"}, true},
		{map[string]any{"a": []any{1}}, map[string]any{"a": []any{1.0}}, true},
		{map[string]any{"a": 1}, map[string]any{"a": 1, "b": nil}, false},
		{nil, nil, true},
	} {
		if got := equalValues(tc.a, tc.b); got != tc.want {
			t.Errorf("equalValues(%#v, %#v) = %v, want %v", tc.a, tc.b, got, tc.want)
		}
	}
}
