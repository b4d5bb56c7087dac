package filter

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestMarshalJSON(t *testing.T) {
	for _, tc := range []struct{ query, want string }{
		{"", `{}`},
		{"token=x&area=", `{}`},
		{"domain=light", `{"domain":["light"]}`},
		{"events=service_called&types=automation_*&type=state", `{"event_types":["call_service","state_changed","automation_*"]}`},
		{"entity_id=sensor.kitchen_*,light.a&domain=*sensor,switch",
			`{"entity_id":["light.a","sensor.kitchen_*"],"domain":["switch","*sensor"]}`},
		{"device_class=motion,door&changes=state", `{"device_class":["door","motion"],"changes":"state"}`},
		{"changes=state&device_class=motion&domain=binary_sensor&entity_id=light.a&events=state_changed",
			`{"event_types":["state_changed"],"entity_id":["light.a"],"domain":["binary_sensor"],"device_class":["motion"],"changes":"state"}`},
	} {
		f, err := Parse(mustValues(t, tc.query))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.query, err)
		}
		got, err := json.Marshal(f) // through encoding/json, as the connection event is written
		if err != nil || string(got) != tc.want {
			t.Errorf("json.Marshal(Parse(%q)) = %s, %v; want %s", tc.query, got, err, tc.want)
		}
	}
	var f *Filter
	if got, err := f.MarshalJSON(); err != nil || string(got) != `{}` {
		t.Errorf("(*Filter)(nil).MarshalJSON() = %s, %v; want {}", got, err)
	}
}

func TestSubscriptions(t *testing.T) {
	for _, tc := range []struct {
		query string
		want  []SubscriptionRow
	}{
		{"", []SubscriptionRow{{}}},
		{"changes=state&device_class=motion", []SubscriptionRow{{}}},
		{"events=state_changed&entity_id=light.living_room", []SubscriptionRow{{EventType: "state_changed", EntityID: "light.living_room"}}},
		{"types=automation_*", []SubscriptionRow{{EventType: "automation_*"}}},
		{"domain=light,switch", []SubscriptionRow{{Domain: "light"}, {Domain: "switch"}}},
		{"entity_id=sensor.*&domain=light", []SubscriptionRow{{EntityID: "sensor.*"}, {Domain: "light"}}},
		{"events=state_changed,service_called&entity_id=light.a&domain=sw*", []SubscriptionRow{
			{EventType: "call_service", EntityID: "light.a"},
			{EventType: "call_service", Domain: "sw*"},
			{EventType: "state_changed", EntityID: "light.a"},
			{EventType: "state_changed", Domain: "sw*"},
		}},
		{"events=a,b,c&entity_id=light.a,light.b&domain=sw*", []SubscriptionRow{ // 9 pairs: a row per pattern
			{EventType: "a"}, {EventType: "b"}, {EventType: "c"},
			{EntityID: "light.a"}, {EntityID: "light.b"}, {Domain: "sw*"},
		}},
	} {
		f, err := Parse(mustValues(t, tc.query))
		if err != nil {
			t.Fatalf("Parse(%q): %v", tc.query, err)
		}
		if diff := cmp.Diff(tc.want, f.Subscriptions()); diff != "" {
			t.Errorf("Parse(%q).Subscriptions() diff (-want +got):\n%s", tc.query, diff)
		}
	}
}

func TestSubscriptionJSON(t *testing.T) {
	rows := []SubscriptionRow{{EventType: "state_changed", EntityID: "light.living_room"}, {Domain: "switch"}}
	want := `[{"event_type":"state_changed","entity_id":"light.living_room","domain":null},` +
		`{"event_type":null,"entity_id":null,"domain":"switch"}]`
	if got, err := json.Marshal(rows); err != nil || string(got) != want {
		t.Errorf("json.Marshal(%+v) = %s, %v; want %s", rows, got, err, want)
	}
}

// TestSubscriptionsOfTheLargestFilter: the most items a filter may name give about as many rows,
// not their product (the statistics tool lists every stream's rows on every answer).
func TestSubscriptionsOfTheLargestFilter(t *testing.T) {
	var types, entities, domains []string
	for i := range 100 {
		types = append(types, fmt.Sprintf("type_%d", i))
		entities = append(entities, fmt.Sprintf("light.l%d", i))
		domains = append(domains, fmt.Sprintf("domain_%d", i))
	}
	f, err := Parse(url.Values{"events": {strings.Join(types, ",")}, "entity_id": {strings.Join(entities, ",")}, "domain": {strings.Join(domains, ",")}})
	if err != nil {
		t.Fatal(err)
	}
	if rows := f.Subscriptions(); len(rows) != 300 {
		t.Errorf("%d rows for 100 types, 100 entities and 100 domains; want 300", len(rows))
	}
}
