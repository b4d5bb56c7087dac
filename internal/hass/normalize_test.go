package hass

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var (
	received      = time.Date(2025, 3, 14, 9, 31, 40, 200_000_000, time.UTC)
	testSanitizer = NewSanitizer(DefaultRedact)
)

func raw(s string) json.RawMessage { return json.RawMessage(s) }

// long60k is a name as long as a non-admin Home Assistant user can put into a service call.
var long60k = strings.Repeat("a", 60<<10)

func TestNormalize(t *testing.T) {
	for _, tc := range []struct {
		name string
		raw  string
		want *Event
	}{{
		name: "state change",
		raw:  eventJSON("state_changed", changedData("light.kitchen", lightOff, lightOn), ctxUser),
		want: &Event{Type: "state_changed", Data: raw(changedData("light.kitchen", lightOff, lightOn)), Origin: "LOCAL",
			TimeFired: fired, Context: raw(ctxUser), EntityID: "light.kitchen", Domain: "light",
			Entities: []string{"light.kitchen"}, OldState: raw(lightOff), NewState: raw(lightOn), State: "on", StateChanged: true},
	}, {
		name: "attribute-only change",
		raw:  eventJSON("state_changed", changedData("media_player.kitchen_speaker", speakerPlaying, speakerMoved), ctxNone),
		want: &Event{Type: "state_changed",
			Data:   raw(changedData("media_player.kitchen_speaker", speakerPlayingRedacted, speakerMovedRedacted)),
			Origin: "LOCAL", TimeFired: fired, Context: raw(ctxNone), EntityID: "media_player.kitchen_speaker", Domain: "media_player",
			Entities: []string{"media_player.kitchen_speaker"}, OldState: raw(speakerPlayingRedacted),
			NewState: raw(speakerMovedRedacted), State: "playing", StateChanged: false, DeviceClass: "speaker"},
	}, {
		name: "creation",
		raw:  eventJSON("state_changed", changedData("binary_sensor.front_door", "null", doorOpen), ctxNone),
		want: &Event{Type: "state_changed", Data: raw(changedData("binary_sensor.front_door", "null", doorOpen)), Origin: "LOCAL",
			TimeFired: fired, Context: raw(ctxNone), EntityID: "binary_sensor.front_door", Domain: "binary_sensor",
			Entities: []string{"binary_sensor.front_door"}, NewState: raw(doorOpen), State: "on", StateChanged: true, DeviceClass: "door"},
	}, {
		name: "removal",
		raw:  eventJSON("state_changed", changedData("binary_sensor.front_door", doorOpen, "null"), ctxNone),
		want: &Event{Type: "state_changed", Data: raw(changedData("binary_sensor.front_door", doorOpen, "null")), Origin: "LOCAL",
			TimeFired: fired, Context: raw(ctxNone), EntityID: "binary_sensor.front_door", Domain: "binary_sensor",
			Entities: []string{"binary_sensor.front_door"}, OldState: raw(doorOpen), StateChanged: true, DeviceClass: "door"},
	}, {
		name: "entity from new_state when data has no entity_id",
		raw:  eventJSON("state_changed", `{"old_state":null,"new_state":`+lightOn+`}`, ctxUser),
		want: &Event{Type: "state_changed", Data: raw(`{"old_state":null,"new_state":` + lightOn + `}`), Origin: "LOCAL",
			TimeFired: fired, Context: raw(ctxUser), EntityID: "light.kitchen", Domain: "light",
			Entities: []string{"light.kitchen"}, NewState: raw(lightOn), State: "on", StateChanged: true},
	}, {
		name: "camera changes state and rotates its token",
		raw:  eventJSON("state_changed", changedData("camera.driveway", cameraIdle1, cameraRecording), ctxNone),
		want: &Event{Type: "state_changed", Data: raw(changedData("camera.driveway", cameraIdle1Redacted, cameraRecordingRedacted)),
			Origin: "LOCAL", TimeFired: fired, Context: raw(ctxNone), EntityID: "camera.driveway", Domain: "camera",
			Entities: []string{"camera.driveway"}, OldState: raw(cameraIdle1Redacted), NewState: raw(cameraRecordingRedacted),
			State: "recording", StateChanged: true},
	}, {
		name: "call_service with target lists",
		raw: eventJSON("call_service", `{"domain":"light","service":"turn_on","service_data":{"brightness":204,`+
			`"entity_id":["light.kitchen","light.hall"],"target":{"entity_id":["light.hall","light.porch"],"area_id":"hall"}}}`, ctxUser),
		want: &Event{Type: "call_service", Data: raw(`{"domain":"light","service":"turn_on","service_data":{"brightness":204,` +
			`"entity_id":["light.kitchen","light.hall"],"target":{"entity_id":["light.hall","light.porch"],"area_id":"hall"}}}`),
			Origin: "LOCAL", TimeFired: fired, Context: raw(ctxUser), Domain: "light",
			Entities: []string{"light.kitchen", "light.hall", "light.porch"}},
	}, {
		name: "call_service with one entity",
		raw: eventJSON("call_service", `{"domain":"light","service":"turn_on","service_data":{"brightness":204,`+
			`"entity_id":"light.kitchen"}}`, ctxUser),
		want: &Event{Type: "call_service", Data: raw(`{"domain":"light","service":"turn_on","service_data":{"brightness":204,` +
			`"entity_id":"light.kitchen"}}`), Origin: "LOCAL", TimeFired: fired, Context: raw(ctxUser),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"}},
	}, {
		name: "call_service naming a 60 KB entity id",
		raw:  eventJSON("call_service", `{"domain":"lock","service":"lock","service_data":{"entity_id":["lock.`+long60k+`","lock.front"]}}`, ctxUser),
		want: &Event{Type: "call_service", Data: raw(`{"domain":"lock","service":"lock","service_data":{"entity_id":["lock.` + long60k + `","lock.front"]}}`),
			Origin: "LOCAL", TimeFired: fired, Context: raw(ctxUser), EntityID: "lock.front", Domain: "lock", Entities: []string{"lock.front"}},
	}, {
		name: "call_service with a secret and no entity",
		raw: eventJSON("call_service", `{"domain":"notify","service":"pushover","service_data":{"message":"Door open",`+
			`"api_key":"k-123"}}`, ctxUser),
		want: &Event{Type: "call_service", Data: raw(`{"domain":"notify","service":"pushover","service_data":{"message":"Door open"}}`),
			Origin: "LOCAL", TimeFired: fired, Context: raw(ctxUser), Domain: "notify"},
	}, {
		name: "automation_triggered",
		raw: eventJSON("automation_triggered", `{"name":"Hall light on motion","entity_id":"automation.hall_light_on_motion",`+
			`"source":"state of binary_sensor.hall_motion"}`, ctxNone),
		want: &Event{Type: "automation_triggered", Data: raw(`{"name":"Hall light on motion","entity_id":"automation.hall_light_on_motion",` +
			`"source":"state of binary_sensor.hall_motion"}`), Origin: "LOCAL", TimeFired: fired, Context: raw(ctxNone),
			EntityID: "automation.hall_light_on_motion", Domain: "automation", Entities: []string{"automation.hall_light_on_motion"}},
	}, {
		name: "event without entity",
		raw:  eventJSON("component_loaded", `{"component":"zha"}`, ctxNone),
		want: &Event{Type: "component_loaded", Data: raw(`{"component":"zha"}`), Origin: "LOCAL", TimeFired: fired, Context: raw(ctxNone)},
	}, {
		name: "whitespace is compacted",
		raw: "{\n  \"event_type\": \"script_started\",\n  \"data\": {\"name\": \"Good night\", \"entity_id\": \"script.good_night\"},\n" +
			"  \"origin\": \"REMOTE\", \"time_fired\": \"" + fired + "\",\n  \"context\": {\"id\": \"01J\", \"parent_id\": null}\n}\n",
		want: &Event{Type: "script_started", Data: raw(`{"name":"Good night","entity_id":"script.good_night"}`), Origin: "REMOTE",
			TimeFired: fired, Context: raw(`{"id":"01J","parent_id":null}`), EntityID: "script.good_night", Domain: "script",
			Entities: []string{"script.good_night"}, ConfigID: "good_night"},
	}, {
		name: "null data and missing context",
		raw:  `{"event_type":"homeassistant_started","data":null,"origin":"LOCAL","time_fired":"` + fired + `"}`,
		want: &Event{Type: "homeassistant_started", Data: raw(`{}`), Origin: "LOCAL", TimeFired: fired},
	}} {
		tc.want.Received = received
		got, err := Normalize([]byte(tc.raw), received, testSanitizer)
		if diff := cmp.Diff(tc.want, got, rawCmp); err != nil || diff != "" {
			t.Errorf("%s: Normalize(%s) error %v, diff (-want +got):\n%s", tc.name, tc.raw, err, diff)
		}
	}
}

func TestNormalizeDropsSecretOnlyChange(t *testing.T) {
	frame := eventJSON("state_changed", changedData("camera.driveway", cameraIdle1, cameraIdle2), ctxNone)
	if ev, err := Normalize([]byte(frame), received, testSanitizer); !errors.Is(err, ErrNoop) {
		t.Errorf("Normalize(token rotation) = %+v, %v; want ErrNoop", ev, err)
	}
	// Without a sanitiser the same event is an attribute-only change like any other.
	ev, err := Normalize([]byte(frame), received, nil)
	if err != nil || ev.StateChanged || string(ev.NewState) != cameraIdle2 {
		t.Errorf("Normalize(token rotation, no sanitiser) = %+v, %v; want the event unchanged", ev, err)
	}
}

func TestNormalizeErrors(t *testing.T) {
	for _, raw := range []string{
		``,
		`{`,
		`{"event_type":"state_changed"} x`,
		`[1,2]`,
		`"state_changed"`,
		`{"data":{}}`,
		`{"event_type":7,"data":{}}`,
		`{"event_type":"x","data":[1]}`,
		`{"event_type":"x","data":{},"context":"01J"}`,
		`{"event_type":"state_changed","data":{"entity_id":"a.b","old_state":null,"new_state":"on"}}`,
		`{"event_type":"state_changed","data":{"entity_id":"a.b","old_state":5,"new_state":null}}`,
	} {
		if ev, err := Normalize([]byte(raw), received, testSanitizer); err == nil {
			t.Errorf("Normalize(%s) = %+v, want an error", raw, ev)
		}
	}
}

func TestNormalizeDoesNotRetainInput(t *testing.T) {
	frame := []byte(eventJSON("state_changed", changedData("light.kitchen", lightOff, lightOn), ctxUser))
	ev, err := Normalize(frame, received, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frame {
		frame[i] = ' '
	}
	if string(ev.Data) != changedData("light.kitchen", lightOff, lightOn) || string(ev.Context) != ctxUser {
		t.Errorf("after overwriting the input, Data = %s, Context = %s", ev.Data, ev.Context)
	}
}
