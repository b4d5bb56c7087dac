package hass

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hass/hajson"
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
		raw:  hajson.Event("state_changed", hajson.ChangedData("light.kitchen", lightOff, lightOn), hajson.CtxUser),
		want: &Event{Type: "state_changed", Data: raw(hajson.ChangedData("light.kitchen", lightOff, lightOn)), Origin: "LOCAL",
			TimeFired: hajson.Fired, Context: raw(hajson.CtxUser), EntityID: "light.kitchen", Domain: "light",
			Entities: []string{"light.kitchen"}, OldState: raw(lightOff), NewState: raw(lightOn), State: "on", StateChanged: true},
	}, {
		name: "attribute-only change",
		raw:  hajson.Event("state_changed", hajson.ChangedData("media_player.kitchen_speaker", speakerPlaying, speakerMoved), hajson.CtxNone),
		want: &Event{Type: "state_changed",
			Data:   raw(hajson.ChangedData("media_player.kitchen_speaker", speakerPlayingRedacted, speakerMovedRedacted)),
			Origin: "LOCAL", TimeFired: hajson.Fired, Context: raw(hajson.CtxNone), EntityID: "media_player.kitchen_speaker", Domain: "media_player",
			Entities: []string{"media_player.kitchen_speaker"}, OldState: raw(speakerPlayingRedacted),
			NewState: raw(speakerMovedRedacted), State: "playing", StateChanged: false, DeviceClass: "speaker"},
	}, {
		name: "creation",
		raw:  hajson.Event("state_changed", hajson.ChangedData("binary_sensor.front_door", "null", doorOpen), hajson.CtxNone),
		want: &Event{Type: "state_changed", Data: raw(hajson.ChangedData("binary_sensor.front_door", "null", doorOpen)), Origin: "LOCAL",
			TimeFired: hajson.Fired, Context: raw(hajson.CtxNone), EntityID: "binary_sensor.front_door", Domain: "binary_sensor",
			Entities: []string{"binary_sensor.front_door"}, NewState: raw(doorOpen), State: "on", StateChanged: true, DeviceClass: "door"},
	}, {
		name: "removal",
		raw:  hajson.Event("state_changed", hajson.ChangedData("binary_sensor.front_door", doorOpen, "null"), hajson.CtxNone),
		want: &Event{Type: "state_changed", Data: raw(hajson.ChangedData("binary_sensor.front_door", doorOpen, "null")), Origin: "LOCAL",
			TimeFired: hajson.Fired, Context: raw(hajson.CtxNone), EntityID: "binary_sensor.front_door", Domain: "binary_sensor",
			Entities: []string{"binary_sensor.front_door"}, OldState: raw(doorOpen), StateChanged: true, DeviceClass: "door"},
	}, {
		name: "entity from new_state when data has no entity_id",
		raw:  hajson.Event("state_changed", `{"old_state":null,"new_state":`+lightOn+`}`, hajson.CtxUser),
		want: &Event{Type: "state_changed", Data: raw(`{"old_state":null,"new_state":` + lightOn + `}`), Origin: "LOCAL",
			TimeFired: hajson.Fired, Context: raw(hajson.CtxUser), EntityID: "light.kitchen", Domain: "light",
			Entities: []string{"light.kitchen"}, NewState: raw(lightOn), State: "on", StateChanged: true},
	}, {
		name: "camera changes state and rotates its token",
		raw:  hajson.Event("state_changed", hajson.ChangedData("camera.driveway", cameraIdle1, cameraRecording), hajson.CtxNone),
		want: &Event{Type: "state_changed", Data: raw(hajson.ChangedData("camera.driveway", cameraIdle1Redacted, cameraRecordingRedacted)),
			Origin: "LOCAL", TimeFired: hajson.Fired, Context: raw(hajson.CtxNone), EntityID: "camera.driveway", Domain: "camera",
			Entities: []string{"camera.driveway"}, OldState: raw(cameraIdle1Redacted), NewState: raw(cameraRecordingRedacted),
			State: "recording", StateChanged: true},
	}, {
		name: "call_service with target lists",
		raw: hajson.Event("call_service", `{"domain":"light","service":"turn_on","service_data":{"brightness":204,`+
			`"entity_id":["light.kitchen","light.hall"],"target":{"entity_id":["light.hall","light.porch"],"area_id":"hall"}}}`, hajson.CtxUser),
		want: &Event{Type: "call_service", Data: raw(`{"domain":"light","service":"turn_on","service_data":{"brightness":204,` +
			`"entity_id":["light.kitchen","light.hall"],"target":{"entity_id":["light.hall","light.porch"],"area_id":"hall"}}}`),
			Origin: "LOCAL", TimeFired: hajson.Fired, Context: raw(hajson.CtxUser), Domain: "light",
			Entities: []string{"light.kitchen", "light.hall", "light.porch"}},
	}, {
		name: "call_service with one entity",
		raw: hajson.Event("call_service", `{"domain":"light","service":"turn_on","service_data":{"brightness":204,`+
			`"entity_id":"light.kitchen"}}`, hajson.CtxUser),
		want: &Event{Type: "call_service", Data: raw(`{"domain":"light","service":"turn_on","service_data":{"brightness":204,` +
			`"entity_id":"light.kitchen"}}`), Origin: "LOCAL", TimeFired: hajson.Fired, Context: raw(hajson.CtxUser),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"}},
	}, {
		name: "call_service naming a 60 KB entity id",
		raw:  hajson.Event("call_service", `{"domain":"lock","service":"lock","service_data":{"entity_id":["lock.`+long60k+`","lock.front"]}}`, hajson.CtxUser),
		want: &Event{Type: "call_service", Data: raw(`{"domain":"lock","service":"lock","service_data":{"entity_id":["lock.` + long60k + `","lock.front"]}}`),
			Origin: "LOCAL", TimeFired: hajson.Fired, Context: raw(hajson.CtxUser), EntityID: "lock.front", Domain: "lock", Entities: []string{"lock.front"}},
	}, {
		name: "call_service with a secret and no entity",
		raw: hajson.Event("call_service", `{"domain":"notify","service":"pushover","service_data":{"message":"Door open",`+
			`"api_key":"k-123"}}`, hajson.CtxUser),
		want: &Event{Type: "call_service", Data: raw(`{"domain":"notify","service":"pushover","service_data":{"message":"Door open"}}`),
			Origin: "LOCAL", TimeFired: hajson.Fired, Context: raw(hajson.CtxUser), Domain: "notify"},
	}, {
		name: "automation_triggered",
		raw: hajson.Event("automation_triggered", `{"name":"Hall light on motion","entity_id":"automation.hall_light_on_motion",`+
			`"source":"state of binary_sensor.hall_motion"}`, hajson.CtxNone),
		want: &Event{Type: "automation_triggered", Data: raw(`{"name":"Hall light on motion","entity_id":"automation.hall_light_on_motion",` +
			`"source":"state of binary_sensor.hall_motion"}`), Origin: "LOCAL", TimeFired: hajson.Fired, Context: raw(hajson.CtxNone),
			EntityID: "automation.hall_light_on_motion", Domain: "automation", Entities: []string{"automation.hall_light_on_motion"}},
	}, {
		name: "event without entity",
		raw:  hajson.Event("component_loaded", `{"component":"zha"}`, hajson.CtxNone),
		want: &Event{Type: "component_loaded", Data: raw(`{"component":"zha"}`), Origin: "LOCAL", TimeFired: hajson.Fired, Context: raw(hajson.CtxNone)},
	}, {
		name: "whitespace is compacted",
		raw: "{\n  \"event_type\": \"script_started\",\n  \"data\": {\"name\": \"Good night\", \"entity_id\": \"script.good_night\"},\n" +
			"  \"origin\": \"REMOTE\", \"time_fired\": \"" + hajson.Fired + "\",\n  \"context\": {\"id\": \"01J\", \"parent_id\": null}\n}\n",
		want: &Event{Type: "script_started", Data: raw(`{"name":"Good night","entity_id":"script.good_night"}`), Origin: "REMOTE",
			TimeFired: hajson.Fired, Context: raw(`{"id":"01J","parent_id":null}`), EntityID: "script.good_night", Domain: "script",
			Entities: []string{"script.good_night"}, ConfigID: "good_night"},
	}, {
		name: "null data and missing context",
		raw:  `{"event_type":"homeassistant_started","data":null,"origin":"LOCAL","time_fired":"` + hajson.Fired + `"}`,
		want: &Event{Type: "homeassistant_started", Data: raw(`{}`), Origin: "LOCAL", TimeFired: hajson.Fired},
	}} {
		tc.want.Received = received
		got, err := Normalize([]byte(tc.raw), received, testSanitizer)
		if diff := cmp.Diff(tc.want, got, rawCmp); err != nil || diff != "" {
			t.Errorf("%s: Normalize(%s) error %v, diff (-want +got):\n%s", tc.name, tc.raw, err, diff)
		}
	}
}

func TestNormalizeDropsSecretOnlyChange(t *testing.T) {
	frame := hajson.Event("state_changed", hajson.ChangedData("camera.driveway", cameraIdle1, cameraIdle2), hajson.CtxNone)
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
	frame := []byte(hajson.Event("state_changed", hajson.ChangedData("light.kitchen", lightOff, lightOn), hajson.CtxUser))
	ev, err := Normalize(frame, received, nil)
	if err != nil {
		t.Fatal(err)
	}
	for i := range frame {
		frame[i] = ' '
	}
	if string(ev.Data) != hajson.ChangedData("light.kitchen", lightOff, lightOn) || string(ev.Context) != hajson.CtxUser {
		t.Errorf("after overwriting the input, Data = %s, Context = %s", ev.Data, ev.Context)
	}
}
