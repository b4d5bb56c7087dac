package filter

import (
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hass"
)

func mustValues(t testing.TB, query string) url.Values {
	t.Helper()
	v, err := url.ParseQuery(query)
	if err != nil {
		t.Fatalf("url.ParseQuery(%q): %v", query, err)
	}
	return v
}

func globs(patterns ...string) []Glob {
	var gs []Glob
	for _, p := range patterns {
		gs = append(gs, compileGlob(p))
	}
	return gs
}

// list returns n sorted, comma-separated domains prefix000,prefix001,….
func list(prefix string, n int) string {
	items := make([]string, n)
	for i := range items {
		items[i] = fmt.Sprintf("%s%03d", prefix, i)
	}
	return strings.Join(items, ",")
}

func TestParse(t *testing.T) {
	long := strings.Repeat("a", MaxItemBytes)
	// MaxValueBytes exactly: ten 200-byte domains, nine commas, padded with spaces.
	full := strings.Repeat("b", 200) + strings.Repeat(","+strings.Repeat("b", 200), 9)
	full += strings.Repeat(" ", MaxValueBytes-len(full))
	for _, tc := range []struct {
		name, query string
		want        *Filter
	}{
		{"nothing", "", &Filter{}},
		{"other keys ignored", "token=x&format=named&snapshot=1&throttle=2s&client_id=a&Domain=Bad!", &Filter{}},
		{"empty items ignored", "domain=&entity_id=,,%20,&events=&area=&label=,", &Filter{}},
		{"areas by id and name", "area=kitchen,Living%20room&area=kitchen", &Filter{Areas: []string{"Living room", "kitchen"}}},
		{"labels", "label=security,outdoor", &Filter{Labels: []string{"outdoor", "security"}}},

		{"domain", "domain=light", &Filter{Domains: []string{"light"}}},
		{"domain list", "domain=light,switch", &Filter{Domains: []string{"light", "switch"}}},
		{"domain repeated, sorted", "domain=switch&domain=light", &Filter{Domains: []string{"light", "switch"}}},
		{"domain trimmed, deduplicated", "domain=+light+,%09switch,light,,", &Filter{Domains: []string{"light", "switch"}}},
		{"domain glob", "domain=sensor*", &Filter{DomainGlobs: globs("sensor*")}},
		{"domain glob ?", "domain=s?itch", &Filter{DomainGlobs: globs("s?itch")}},
		{"domain exact and globs", "domain=*sensor,light,sensor*,*sensor", &Filter{Domains: []string{"light"}, DomainGlobs: globs("*sensor", "sensor*")}},
		{"domain stars collapsed", "domain=li**t,li*t", &Filter{DomainGlobs: globs("li*t")}},

		{"entity", "entity_id=light.living_room", &Filter{Entities: []string{"light.living_room"}}},
		{"entity list", "entity_id=switch.coffee_maker,light.kitchen", &Filter{Entities: []string{"light.kitchen", "switch.coffee_maker"}}},
		{"entity repeated", "entity_id=light.b&entity_id=light.a,light.b", &Filter{Entities: []string{"light.a", "light.b"}}},
		{"entity glob", "entity_id=sensor.kitchen_*", &Filter{EntityGlobs: globs("sensor.kitchen_*")}},
		{"entity glob without dot", "entity_id=*_temperature", &Filter{EntityGlobs: globs("*_temperature")}},
		{"entity glob ?", "entity_id=light.?itchen", &Filter{EntityGlobs: globs("light.?itchen")}},
		{"entity glob any", "entity_id=*", &Filter{EntityGlobs: globs("*")}},
		{"entity glob domain", "entity_id=*.kitchen", &Filter{EntityGlobs: globs("*.kitchen")}},
		{"entity digits and underscores", "entity_id=sensor.pm2_5_0", &Filter{Entities: []string{"sensor.pm2_5_0"}}},

		{"events", "events=state_changed,automation_triggered", &Filter{Types: []string{"automation_triggered", "state_changed"}}},
		{"event_types", "event_types=state_changed,call_service", &Filter{Types: []string{"call_service", "state_changed"}}},
		{"types with glob", "types=automation_*,state_changed", &Filter{Types: []string{"state_changed"}, TypeGlobs: globs("automation_*")}},
		{"alias service_called", "events=service_called", &Filter{Types: []string{"call_service"}}},
		{"alias script_executed", "events=script_executed", &Filter{Types: []string{"script_started"}}},
		{"aliases deduplicated", "events=service_called&event_types=call_service&types=script_executed,script_started",
			&Filter{Types: []string{"call_service", "script_started"}}},
		{"type state", "type=state", &Filter{Types: []string{"state_changed"}}},
		{"type other", "type=call_service", &Filter{Types: []string{"call_service"}}},
		{"type alias and list", "type=state,service_called", &Filter{Types: []string{"call_service", "state_changed"}}},
		{"type glob", "type=state*", &Filter{TypeGlobs: globs("state*")}},
		{"state only special in type", "events=state", &Filter{Types: []string{"state"}}},
		{"all four type parameters", "events=a&event_types=b&types=c*&type=state",
			&Filter{Types: []string{"a", "b", "state_changed"}, TypeGlobs: globs("c*")}},
		{"unknown types legal", "types=MyEvent,server:*,zwave_js.value-updated,x?", &Filter{
			Types: []string{"MyEvent", "zwave_js.value-updated"}, TypeGlobs: globs("server:*", "x?")}},
		{"glob without wildcard is exact", "types=automation_triggered&domain=light&entity_id=light.x",
			&Filter{Types: []string{"automation_triggered"}, Entities: []string{"light.x"}, Domains: []string{"light"}}},

		{"changes", "changes=state", &Filter{StateOnly: true}},
		{"changes repeated", "changes=state,state&changes=state", &Filter{StateOnly: true}},
		{"device_class", "device_class=temperature,motion&device_class=door", &Filter{DeviceClasses: []string{"door", "motion", "temperature"}}},

		{"everything", "events=service_called&types=automation_*&type=state&entity_id=sensor.kitchen_*,light.a&domain=switch" +
			"&device_class=motion&changes=state&token=t", &Filter{
			Types:         []string{"call_service", "state_changed"},
			TypeGlobs:     globs("automation_*"),
			Entities:      []string{"light.a"},
			EntityGlobs:   globs("sensor.kitchen_*"),
			Domains:       []string{"switch"},
			DeviceClasses: []string{"motion"},
			StateOnly:     true,
		}},
		{"100 items", "domain=" + list("d", MaxItems), &Filter{Domains: strings.Split(list("d", MaxItems), ",")}},
		{"100 items across repeats", "domain=" + list("d", 60) + "&domain=" + list("e", 40),
			&Filter{Domains: strings.Split(list("d", 60)+","+list("e", 40), ",")}},
		{"255-byte item", "domain=" + long, &Filter{Domains: []string{long}}},
		{"32 patterns and 100 exact entities", "entity_id=" + list("light.a*", MaxPatterns) + "&entity_id=" + list("light.b", 100-MaxPatterns),
			&Filter{EntityGlobs: globs(strings.Split(list("light.a*", MaxPatterns), ",")...), Entities: strings.Split(list("light.b", 100-MaxPatterns), ",")}},
		{"2048-byte value", "domain=" + url.QueryEscape(full), &Filter{Domains: []string{strings.Repeat("b", 200)}}},
	} {
		got, err := Parse(mustValues(t, tc.query))
		if err != nil {
			t.Errorf("%s: Parse(%q) error: %v", tc.name, tc.query, err)
			continue
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: Parse(%q) = %+v, want %+v; diff (-want +got):\n%s", tc.name, tc.query, got, tc.want, diff)
		}
	}
}

func TestParseError(t *testing.T) {
	long := strings.Repeat("a", MaxItemBytes+1)
	for _, tc := range []struct {
		name, query string
		want        ParamError
	}{
		{"entity without dot", "entity_id=light", ParamError{"entity_id", `"light" is not an entity id or pattern`}},
		{"entity two dots", "entity_id=light..x", ParamError{"entity_id", `"light..x" is not an entity id or pattern`}},
		{"entity three parts", "entity_id=light.kitchen.x", ParamError{"entity_id", `"light.kitchen.x" is not an entity id or pattern`}},
		{"entity no domain", "entity_id=.kitchen", ParamError{"entity_id", `".kitchen" is not an entity id or pattern`}},
		{"entity no object id", "entity_id=light.", ParamError{"entity_id", `"light." is not an entity id or pattern`}},
		{"entity glob no object id", "entity_id=light*.", ParamError{"entity_id", `"light*." is not an entity id or pattern`}},
		{"entity uppercase", "entity_id=Light.Kitchen", ParamError{"entity_id", `"Light.Kitchen" is not an entity id or pattern`}},
		{"entity space", "entity_id=light.kit+chen", ParamError{"entity_id", `"light.kit chen" is not an entity id or pattern`}},
		{"entity brackets", "entity_id=light.[ab]", ParamError{"entity_id", `"light.[ab]" is not an entity id or pattern`}},
		{"entity ? without dot", "entity_id=light?kitchen", ParamError{"entity_id", `"light?kitchen" is not an entity id or pattern`}},
		{"entity in list", "entity_id=light.a,light,light.b", ParamError{"entity_id", `"light" is not an entity id or pattern`}},
		{"domain with dot", "domain=light.kitchen", ParamError{"domain", `"light.kitchen" is not a domain or pattern`}},
		{"domain uppercase", "domain=Light", ParamError{"domain", `"Light" is not a domain or pattern`}},
		{"domain dash", "domain=li-ght", ParamError{"domain", `"li-ght" is not a domain or pattern`}},
		{"domain unicode", "domain=l%C3%BCght", ParamError{"domain", `"lüght" is not a domain or pattern`}},
		{"events space", "events=state+changed", ParamError{"events", `"state changed" is not an event type or pattern`}},
		{"event_types brackets", "event_types=x[1]", ParamError{"event_types", `"x[1]" is not an event type or pattern`}},
		{"types slash", "types=a/b", ParamError{"types", `"a/b" is not an event type or pattern`}},
		{"type quote", "type=%22", ParamError{"type", `"\"" is not an event type or pattern`}},
		{"type invalid utf-8", "type=%FF", ParamError{"type", `"\xff" is not an event type or pattern`}},
		{"changes other", "changes=attributes", ParamError{"changes", `"attributes" is not a kind of change; the only one is "state"`}},
		{"changes in list", "changes=state,all", ParamError{"changes", `"all" is not a kind of change; the only one is "state"`}},
		{"device_class glob", "device_class=temp*", ParamError{"device_class", `"temp*" is not a device class (lowercase letters, digits and _; no patterns)`}},
		{"device_class uppercase", "device_class=Motion", ParamError{"device_class", `"Motion" is not a device class (lowercase letters, digits and _; no patterns)`}},
		{"area control character", "area=kit%01chen", ParamError{"area", `"kit\x01chen" is not an area id or name`}},
		{"label uppercase", "label=Outdoor", ParamError{"label", `"Outdoor" is not a label id (lowercase letters, digits and _)`}},
		{"101 items", "domain=" + list("d", MaxItems+1), ParamError{"domain", "101 items, more than the limit of 100"}},
		{"101 items across repeats", "events=" + list("a", 50) + "&events=" + list("b", 51), ParamError{"events", "101 items, more than the limit of 100"}},
		{"value over 2 KiB", "types=" + strings.Repeat("a,", 1024) + "a", ParamError{"types", "value of 2049 bytes is longer than the limit of 2048"}},
		{"value over 2 KiB of commas", "entity_id=" + strings.Repeat(",", MaxValueBytes+1), ParamError{"entity_id", "value of 2049 bytes is longer than the limit of 2048"}},
		{"item over 255 bytes", "domain=" + long, ParamError{"domain", `"` + long[:64] + `"… is 256 bytes, longer than the limit of 255`}},
		{"first parameter in order", "label=x&entity_id=light&domain=Light", ParamError{"domain", `"Light" is not a domain or pattern`}},
		{"33 patterns", "entity_id=" + list("light.a*", MaxPatterns+1), ParamError{"entity_id", "33 patterns in one request, more than the limit of 32"}},
		{"33 patterns across parameters", "domain=" + list("d*", 10) + "&entity_id=" + list("light.?", 10) + "&events=" + list("a*", 7) + "&types=" + list("b?", 6),
			ParamError{"types", "33 patterns in one request, more than the limit of 32"}},
	} {
		got, err := Parse(mustValues(t, tc.query))
		var pe *ParamError
		if !errors.As(err, &pe) {
			t.Errorf("%s: Parse(%q) = %+v, %v; want *ParamError %+v", tc.name, tc.query, got, err, tc.want)
			continue
		}
		if got != nil {
			t.Errorf("%s: Parse(%q) = %+v with an error, want nil", tc.name, tc.query, got)
		}
		if diff := cmp.Diff(tc.want, *pe); diff != "" {
			t.Errorf("%s: Parse(%q) error = %+v, want %+v; diff (-want +got):\n%s", tc.name, tc.query, *pe, tc.want, diff)
		}
	}
}

func TestParamErrorMessage(t *testing.T) {
	_, err := Parse(mustValues(t, "entity_id=light..x"))
	want := `invalid parameter "entity_id": "light..x" is not an entity id or pattern`
	if err == nil || err.Error() != want {
		t.Errorf(`Parse("entity_id=light..x") error = %v, want %s`, err, want)
	}
}

func TestIsParam(t *testing.T) {
	for _, name := range []string{"domain", "entity_id", "events", "event_types", "types", "type", "changes", "device_class", "area", "label"} {
		if !IsParam(name) {
			t.Errorf("IsParam(%q) = false, want true", name)
		}
	}
	for _, name := range []string{"", "token", "format", "snapshot", "Domain", "entity"} {
		if IsParam(name) {
			t.Errorf("IsParam(%q) = true, want false", name)
		}
	}
}

// fuzzEvents are the events FuzzParse matches every filter it parses against.
var fuzzEvents = []*hass.Event{
	{},
	stateEvent("light.kitchen", "", true),
	stateEvent("sensor.kitchen_temperature", "temperature", false),
	serviceEvent("light", "light.a", "light.b"),
	serviceEvent("homeassistant"),
	{Type: "homeassistant_start"},
	{Type: "script_started", EntityID: "script.x", Domain: "script", Entities: []string{"script.x"}},
	{Type: "\xff*?", Entities: []string{"", "\xff"}, Domain: "\xff"},
}

// FuzzParse's seeds are in testdata/fuzz/FuzzParse.
func FuzzParse(f *testing.F) {
	f.Fuzz(func(t *testing.T, query string) {
		v, _ := url.ParseQuery(query) // keeps what it could parse
		got, err := Parse(v)
		if err != nil {
			var pe *ParamError
			if !errors.As(err, &pe) || !IsParam(pe.Param) || pe.Reason == "" {
				t.Fatalf("Parse(%q) error %#v, want a *ParamError naming a parameter", query, err)
			}
			return
		}
		for _, ev := range fuzzEvents {
			got.Match(ev)
		}
		b, err := got.MarshalJSON()
		if err != nil || !json.Valid(b) {
			t.Fatalf("Parse(%q).MarshalJSON() = %s, %v; want valid JSON", query, b, err)
		}
		if rows, err := json.Marshal(got.Subscriptions()); err != nil || !json.Valid(rows) {
			t.Fatalf("Parse(%q).Subscriptions() marshal to %s, %v; want valid JSON", query, rows, err)
		}

		// What the connection event shows must parse back to the same filter.
		var shown struct {
			EventTypes  []string `json:"event_types"`
			EntityID    []string `json:"entity_id"`
			Domain      []string `json:"domain"`
			DeviceClass []string `json:"device_class"`
			Area        []string `json:"area"`
			Label       []string `json:"label"`
			Changes     string   `json:"changes"`
		}
		if err := json.Unmarshal(b, &shown); err != nil {
			t.Fatalf("Parse(%q).MarshalJSON() = %s: %v", query, b, err)
		}
		if len(shown.EventTypes) > MaxItems {
			return // came from several parameters; one cannot hold them all
		}
		back := url.Values{"event_types": shown.EventTypes, "entity_id": shown.EntityID, "domain": shown.Domain,
			"device_class": shown.DeviceClass, "area": shown.Area, "label": shown.Label, "changes": {shown.Changes}}
		again, err := Parse(back)
		if err != nil {
			t.Fatalf("Parse(%q) = %s, which does not parse back: %v", query, b, err)
		}
		if diff := cmp.Diff(got, again); diff != "" {
			t.Fatalf("Parse(%q) = %s, which parses back differently; diff (-first +again):\n%s", query, b, diff)
		}
	})
}
