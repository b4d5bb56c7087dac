package hass

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseState(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want State
		ok   bool
	}{
		{`{"entity_id":"sensor.hall","state":"21.4","attributes":{"device_class":"temperature"}}`,
			State{EntityID: "sensor.hall", Domain: "sensor", State: "21.4", DeviceClass: "temperature"}, true},
		{`{"entity_id":"light.a","state":"on","attributes":{}}`, State{EntityID: "light.a", Domain: "light", State: "on"}, true},
		{`{"entity_id":"light.a","state":"on","attributes":{"device_class":7}}`, State{EntityID: "light.a", Domain: "light", State: "on"}, true},
		{`{"state":"on"}`, State{}, false},
		{`[1]`, State{}, false},
	} {
		got, err := ParseState([]byte(tc.in))
		if (err == nil) != tc.ok {
			t.Errorf("ParseState(%s) error %v, want ok %v", tc.in, err, tc.ok)
			continue
		}
		got.JSON = nil
		if diff := cmp.Diff(tc.want, got); tc.ok && diff != "" {
			t.Errorf("ParseState(%s) diff (-want +got):\n%s", tc.in, diff)
		}
	}
}
