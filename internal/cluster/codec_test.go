package cluster

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hass"
)

func TestCodecRoundTrip(t *testing.T) {
	full := benchEvent().clone()
	full.Entities, full.Labels = []string{"light.living_room", "light.hall"}, []string{"downstairs", "warm"}
	full.DeviceClass, full.Area, full.AreaName = "light", "living_room", "Living room"
	full.ConfigID = "1718011223344"
	full.Areas = []hass.AreaRef{{ID: "hall", Name: "Hall"}, {ID: "living_room", Name: "Living room"}}
	full.Received = time.Unix(0, 1742030000123456789)
	for _, ev := range []*hass.Event{
		full,
		{Type: "homeassistant_start", Data: []byte(`{}`)},
		{Type: hass.TypeStateChanged, EntityID: "lock.door", Domain: "lock", OldState: []byte(`{"state":"locked"}`), StateChanged: true},
	} {
		got, err := decodeEvent(string(encodeEvent(ev)))
		if err != nil {
			t.Fatalf("decodeEvent(encodeEvent(%s)): %v", ev.Type, err)
		}
		if diff := cmp.Diff(ev, got); diff != "" {
			t.Errorf("%s round trip (-sent +read):\n%s", ev.Type, diff)
		}
	}
	// An entry written before ConfigID existed reads with none.
	old := &hass.Event{Type: hass.TypeAutomationTriggered, EntityID: "automation.x", ConfigID: "17"}
	b := encodeEvent(old)
	got, err := decodeEvent(string(b[:len(b)-len("\x0217\x00")]))
	if err != nil || got.ConfigID != "" || got.EntityID != "automation.x" {
		t.Errorf("an entry without ConfigID: %+v, %v; want it read with ConfigID empty", got, err)
	}
	st := hass.State{EntityID: "light.hall", Domain: "light", State: "on", DeviceClass: "x", Area: "hall",
		AreaName: "Hall", Labels: []string{"a"}, JSON: []byte(`{"entity_id":"light.hall","state":"on"}`)}
	gotState, err := decodeState(string(encodeState(st)))
	if diff := cmp.Diff(st, gotState); err != nil || diff != "" {
		t.Errorf("state round trip: %v (-sent +read):\n%s", err, diff)
	}
}

// FuzzDecodeEvent feeds the decoder what Redis might hold: it must fail cleanly, never panic,
// and read back what it accepts the same way twice.
func FuzzDecodeEvent(f *testing.F) {
	f.Add(string(encodeEvent(benchEvent().Event)))
	f.Add(string(encodeEvent(&hass.Event{Type: "x"})))
	f.Add("\x01\xff\xff\xff\xff\xff\xff\xff\xff\xff\x01")
	f.Fuzz(func(t *testing.T, s string) {
		ev, err := decodeEvent(s)
		if err != nil {
			return
		}
		again, err := decodeEvent(string(encodeEvent(ev)))
		if err != nil {
			t.Fatalf("re-encoded event does not decode: %v", err)
		}
		if diff := cmp.Diff(ev, again); diff != "" {
			t.Errorf("re-encoded event differs:\n%s", diff)
		}
	})
}
