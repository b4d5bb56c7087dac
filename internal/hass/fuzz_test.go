package hass

import (
	"bytes"
	"encoding/json"
	"errors"
	"slices"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
)

// FuzzNormalize feeds Normalize arbitrary bytes (seeded with the frames in
// testdata/fuzz/FuzzNormalize): it must never panic, and every Event it returns must be
// consistent with itself and with what encoding/json reads in the input.
func FuzzNormalize(f *testing.F) {
	f.Fuzz(func(t *testing.T, b []byte) {
		plain, err := Normalize(b, received, nil)
		if err != nil {
			if plain != nil {
				t.Fatalf("Normalize(%q) = %+v and error %v", b, plain, err)
			}
			return
		}
		if !json.Valid(b) {
			t.Fatalf("Normalize(%q) accepted invalid JSON", b)
		}
		checkEvent(t, b, plain)
		var in map[string]json.RawMessage // not a struct: its field names would match any case
		if json.Unmarshal(b, &in) == nil && !isNull(in["data"]) {
			if !jsonEqual(t, in["data"], plain.Data) {
				t.Errorf("Normalize(%q).Data = %s, want %s", b, plain.Data, in["data"])
			}
			checkStates(t, b, in["data"], plain)
		}

		clean, err := Normalize(b, received, testSanitizer)
		switch {
		case errors.Is(err, ErrNoop):
			if plain.Type != TypeStateChanged || plain.OldState == nil || plain.NewState == nil {
				t.Errorf("Normalize(%q) dropped a %s event", b, plain.Type)
			}
			return
		case err != nil:
			t.Fatalf("Normalize(%q) error %v with a sanitiser, none without", b, err)
		}
		checkEvent(t, b, clean)
		if !testSanitizer.suspect(b) && !bytes.Equal(clean.Data, plain.Data) {
			t.Errorf("Normalize(%q) sanitised an event with nothing to remove: %s", b, clean.Data)
		}
		again, _ := testSanitizer.data(clean.Data)
		if !bytes.Equal(again, clean.Data) {
			t.Errorf("Normalize(%q).Data = %s, sanitising it again gives %s", b, clean.Data, again)
		}
		var data any
		if err := json.Unmarshal(clean.Data, &data); err != nil {
			t.Fatal(err)
		}
		if name, ok := secretMember(data); ok {
			t.Errorf("Normalize(%q).Data = %s still holds a member %q", b, clean.Data, name)
		}
	})
}

// secretMember returns the name of a member of v, at any depth, that testSanitizer removes.
func secretMember(v any) (string, bool) {
	switch v := v.(type) {
	case map[string]any:
		for k, x := range v {
			if slices.Contains(testSanitizer.names, k) {
				return k, true
			}
			if name, ok := secretMember(x); ok {
				return name, true
			}
		}
	case []any:
		for _, x := range v {
			if name, ok := secretMember(x); ok {
				return name, true
			}
		}
	}
	return "", false
}

// checkEvent reports fields of ev that contradict each other.
func checkEvent(t *testing.T, in []byte, ev *Event) {
	t.Helper()
	if ev.Type == "" || ev.Received != received {
		t.Errorf("Normalize(%q): Type %q, Received %v", in, ev.Type, ev.Received)
	}
	if !isCompactObject(ev.Data) || ev.Context != nil && !isCompactObject(ev.Context) {
		t.Errorf("Normalize(%q): Data %q, Context %q, want compact objects", in, ev.Data, ev.Context)
	}
	for i, id := range ev.Entities {
		if id == "" || slices.Contains(ev.Entities[:i], id) {
			t.Errorf("Normalize(%q): Entities %q", in, ev.Entities)
		}
	}
	wantID := ""
	if len(ev.Entities) == 1 {
		wantID = ev.Entities[0]
	}
	if ev.EntityID != wantID {
		t.Errorf("Normalize(%q): EntityID %q, Entities %q", in, ev.EntityID, ev.Entities)
	}
	if ev.Type != TypeCallService && ev.Domain != DomainOf(ev.EntityID) {
		t.Errorf("Normalize(%q): Domain %q, EntityID %q", in, ev.Domain, ev.EntityID)
	}
	if ev.Type != TypeStateChanged {
		if ev.OldState != nil || ev.NewState != nil || ev.State != "" || ev.StateChanged || ev.DeviceClass != "" {
			t.Errorf("Normalize(%q): state fields set on a %s event: %+v", in, ev.Type, ev)
		}
		return
	}
	for _, s := range []json.RawMessage{ev.OldState, ev.NewState} {
		if s != nil && (!isCompactObject(s) || !bytes.Contains(ev.Data, s)) {
			t.Errorf("Normalize(%q): state %q is not an object in Data %q", in, s, ev.Data)
		}
	}
	if (ev.OldState == nil || ev.NewState == nil) && !ev.StateChanged {
		t.Errorf("Normalize(%q): creation or removal with StateChanged false", in)
	}
	if ev.NewState == nil && ev.State != "" {
		t.Errorf("Normalize(%q): State %q without new_state", in, ev.State)
	}
}

// checkStates compares the states Normalize found with what encoding/json reads in data.
func checkStates(t *testing.T, in, data []byte, ev *Event) {
	var d map[string]json.RawMessage
	if ev.Type != TypeStateChanged || !utf8.Valid(in) || json.Unmarshal(data, &d) != nil {
		return // (str keeps invalid UTF-8 where encoding/json replaces it)
	}
	for _, s := range []struct {
		name string
		got  json.RawMessage
	}{{"old_state", ev.OldState}, {"new_state", ev.NewState}} {
		want := d[s.name]
		if isNull(want) != (s.got == nil) || s.got != nil && !jsonEqual(t, want, s.got) {
			t.Errorf("Normalize(%q): %s %s, want %s", in, s.name, s.got, want)
		}
	}
	var state struct {
		State any `json:"state"`
	}
	if ev.NewState != nil && json.Unmarshal(ev.NewState, &state) == nil {
		if want, ok := state.State.(string); ok && want != ev.State {
			t.Errorf("Normalize(%q): State %q, want %q", in, ev.State, want)
		}
	}
	var id any
	if json.Unmarshal(d["entity_id"], &id) == nil {
		if want, ok := id.(string); ok && want != "" && want != ev.EntityID {
			t.Errorf("Normalize(%q): EntityID %q, want %q", in, ev.EntityID, want)
		}
	}
}

func isCompactObject(b []byte) bool {
	var buf bytes.Buffer
	return len(b) > 0 && b[0] == '{' && json.Compact(&buf, b) == nil && buf.Len() == len(b)
}

func jsonEqual(t *testing.T, a, b []byte) bool {
	var x, y any
	if err := errors.Join(json.Unmarshal(a, &x), json.Unmarshal(b, &y)); err != nil {
		t.Fatalf("decoding %q and %q: %v", a, b, err)
	}
	return cmp.Equal(x, y)
}
