package format

import (
	"bytes"
	"encoding/json"
	"strings"
	"sync"
	"testing"
	"unicode/utf8"
	"unsafe"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hass"
)

// Pieces of HA events, shaped as in HA-PROTOCOL.md.
const (
	kitchenOff = `{"entity_id":"light.kitchen","state":"off","attributes":{"brightness":null,"friendly_name":"Kitchen"},` +
		`"last_changed":"2025-03-14T07:02:11.004120+00:00","last_updated":"2025-03-14T07:02:11.004120+00:00",` +
		`"context":{"id":"01JPAWZ3RQ0M4B6N8C2D5F7G9H","parent_id":null,"user_id":null}}`
	kitchenOn = `{"entity_id":"light.kitchen","state":"on","attributes":{"brightness":204,"friendly_name":"Kitchen"},` +
		`"last_changed":"2025-03-14T09:31:40.120567+00:00","last_updated":"2025-03-14T09:31:40.120567+00:00",` +
		`"context":{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":"4f2b9c1e"}}`
	// kitchenOnMembers is kitchenOn without its braces.
	kitchenOnMembers = `"entity_id":"light.kitchen","state":"on","attributes":{"brightness":204,"friendly_name":"Kitchen"},` +
		`"last_changed":"2025-03-14T09:31:40.120567+00:00","last_updated":"2025-03-14T09:31:40.120567+00:00",` +
		`"context":{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":"4f2b9c1e"}`
	fired   = "2025-03-14T09:31:40.120567+00:00"
	ctxJSON = `{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":"4f2b9c1e"}`
)

// frameCase is one event and the data both formats must carry for it.
type frameCase struct {
	name            string
	ev              hass.Event
	envelope, named string // JSON, compared after decoding
}

func frameCases() []frameCase {
	return []frameCase{{
		name: "state_changed",
		ev: hass.Event{
			ID: "k3x9-1042", Type: "state_changed", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"entity_id":"light.kitchen","old_state":` + kitchenOff + `,"new_state":` + kitchenOn + `}`),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"},
			OldState: json.RawMessage(kitchenOff), NewState: json.RawMessage(kitchenOn), State: "on", StateChanged: true,
		},
		envelope: `{"id":"k3x9-1042","type":"state_changed","entity_id":"light.kitchen","domain":"light","state":"on",` +
			`"data":{` + kitchenOnMembers + `,"old_state":` + kitchenOff + `},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"state_changed","entity_id":"light.kitchen","old_state":` + kitchenOff + `,"new_state":` + kitchenOn +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "state_changed creation",
		ev: hass.Event{
			ID: "k3x9-1043", Type: "state_changed", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"entity_id":"light.kitchen","old_state":null,"new_state":` + kitchenOn + `}`),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"},
			NewState: json.RawMessage(kitchenOn), State: "on", StateChanged: true,
		},
		envelope: `{"id":"k3x9-1043","type":"state_changed","entity_id":"light.kitchen","domain":"light","state":"on",` +
			`"data":{` + kitchenOnMembers + `,"old_state":null},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"state_changed","entity_id":"light.kitchen","old_state":null,"new_state":` + kitchenOn +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "state_changed removal",
		ev: hass.Event{
			ID: "k3x9-1044", Type: "state_changed", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"entity_id":"light.kitchen","old_state":` + kitchenOff + `,"new_state":null}`),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"},
			OldState: json.RawMessage(kitchenOff), StateChanged: true,
		},
		envelope: `{"id":"k3x9-1044","type":"state_changed","entity_id":"light.kitchen","domain":"light","state":null,` +
			`"data":{"entity_id":"light.kitchen","new_state":null,"old_state":` + kitchenOff + `},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"state_changed","entity_id":"light.kitchen","old_state":` + kitchenOff + `,"new_state":null` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "state_changed removal, new state given as JSON null",
		ev: hass.Event{
			ID: "k3x9-1044", Type: "state_changed", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"entity_id":"light.kitchen","old_state":` + kitchenOff + `,"new_state":null}`),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"},
			OldState: json.RawMessage(kitchenOff), NewState: json.RawMessage(` null`), StateChanged: true,
		},
		envelope: `{"id":"k3x9-1044","type":"state_changed","entity_id":"light.kitchen","domain":"light","state":null,` +
			`"data":{"entity_id":"light.kitchen","new_state":null,"old_state":` + kitchenOff + `},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"state_changed","entity_id":"light.kitchen","old_state":` + kitchenOff + `,"new_state":null` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "state_changed by resync",
		ev: hass.Event{
			ID: "k3x9-1045", Type: "state_changed", Origin: hass.OriginResync, TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"entity_id":"light.kitchen","old_state":` + kitchenOff + `,"new_state":` + kitchenOn + `}`),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"},
			OldState: json.RawMessage(kitchenOff), NewState: json.RawMessage(kitchenOn), State: "on", StateChanged: true,
		},
		envelope: `{"id":"k3x9-1045","type":"state_changed","origin":"resync","entity_id":"light.kitchen","domain":"light","state":"on",` +
			`"data":{` + kitchenOnMembers + `,"old_state":` + kitchenOff + `},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"state_changed","entity_id":"light.kitchen","old_state":` + kitchenOff + `,"new_state":` + kitchenOn +
			`,"time_fired":"` + fired + `","origin":"resync","context":` + ctxJSON + `}`,
	}, {
		name: "call_service, one entity",
		ev: hass.Event{
			ID: "k3x9-1046", Type: "call_service", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"domain":"light","service":"turn_on","service_data":{"brightness":204,"entity_id":"light.kitchen"}}`),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"},
		},
		envelope: `{"id":"k3x9-1046","type":"service_called","domain":"light","entity_id":"light.kitchen",` +
			`"data":{"domain":"light","service":"turn_on","service_data":{"brightness":204,"entity_id":"light.kitchen"}},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"call_service","domain":"light","service":"turn_on","service_data":{"brightness":204,"entity_id":"light.kitchen"}` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "call_service, two entities",
		ev: hass.Event{
			ID: "k3x9-1047", Type: "call_service", Origin: "REMOTE", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:   json.RawMessage(`{"domain":"light","service":"turn_off","service_data":{"entity_id":["light.kitchen","light.hall"]}}`),
			Domain: "light", Entities: []string{"light.kitchen", "light.hall"},
		},
		envelope: `{"id":"k3x9-1047","type":"service_called","domain":"light",` +
			`"data":{"domain":"light","service":"turn_off","service_data":{"entity_id":["light.kitchen","light.hall"]}},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"call_service","domain":"light","service":"turn_off","service_data":{"entity_id":["light.kitchen","light.hall"]}` +
			`,"time_fired":"` + fired + `","origin":"REMOTE","context":` + ctxJSON + `}`,
	}, {
		name: "call_service, several entities but an entity id",
		ev: hass.Event{
			ID: "k3x9-1047", Type: "call_service", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"domain":"light","service":"turn_off","service_data":{"entity_id":["light.kitchen","light.hall"]}}`),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen", "light.hall"},
		},
		envelope: `{"id":"k3x9-1047","type":"service_called","domain":"light",` +
			`"data":{"domain":"light","service":"turn_off","service_data":{"entity_id":["light.kitchen","light.hall"]}},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"call_service","domain":"light","service":"turn_off","service_data":{"entity_id":["light.kitchen","light.hall"]}` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "automation_triggered",
		ev: hass.Event{
			ID: "k3x9-1048", Type: "automation_triggered", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"name":"Hall motion","entity_id":"automation.hall_motion","source":"state of binary_sensor.hall_motion"}`),
			EntityID: "automation.hall_motion", Domain: "automation", Entities: []string{"automation.hall_motion"},
			ConfigID: "1718011223344",
		},
		envelope: `{"id":"k3x9-1048","type":"automation_triggered","entity_id":"automation.hall_motion","domain":"automation",` +
			`"data":{"name":"Hall motion","entity_id":"automation.hall_motion","source":"state of binary_sensor.hall_motion",` +
			`"automation_id":"1718011223344"},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"automation_triggered","name":"Hall motion","entity_id":"automation.hall_motion","source":"state of binary_sensor.hall_motion"` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "automation_triggered, an automation without a configuration id",
		ev: hass.Event{
			ID: "k3x9-1051", Type: "automation_triggered", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"name":"Hall motion","entity_id":"automation.hall_motion"}`),
			EntityID: "automation.hall_motion", Domain: "automation", Entities: []string{"automation.hall_motion"},
		},
		envelope: `{"id":"k3x9-1051","type":"automation_triggered","entity_id":"automation.hall_motion","domain":"automation",` +
			`"data":{"name":"Hall motion","entity_id":"automation.hall_motion"},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"automation_triggered","name":"Hall motion","entity_id":"automation.hall_motion"` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "script_started",
		ev: hass.Event{
			ID: "k3x9-1049", Type: "script_started", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"name":"Good night","entity_id":"script.good_night"}`),
			EntityID: "script.good_night", Domain: "script", Entities: []string{"script.good_night"},
			ConfigID: "good_night",
		},
		envelope: `{"id":"k3x9-1049","type":"script_executed","entity_id":"script.good_night","domain":"script",` +
			`"data":{"name":"Good night","entity_id":"script.good_night","script_id":"good_night"},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"script_started","name":"Good night","entity_id":"script.good_night"` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "other type, no entity",
		ev: hass.Event{
			ID: "k3x9-1050", Type: "component_loaded", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data: json.RawMessage(`{"component":"zha"}`),
		},
		envelope: `{"id":"k3x9-1050","type":"component_loaded","data":{"component":"zha"},"timestamp":"` + fired + `"}`,
		named:    `{"event_type":"component_loaded","component":"zha","time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "other type with entity",
		ev: hass.Event{
			ID: "k3x9-1051", Type: "logbook_entry", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"name":"Hall","message":"opened","entity_id":"cover.hall"}`),
			EntityID: "cover.hall", Domain: "cover", Entities: []string{"cover.hall"},
		},
		envelope: `{"id":"k3x9-1051","type":"logbook_entry","entity_id":"cover.hall","domain":"cover",` +
			`"data":{"name":"Hall","message":"opened","entity_id":"cover.hall"},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"logbook_entry","name":"Hall","message":"opened","entity_id":"cover.hall"` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name:     "data null, no context, no origin",
		ev:       hass.Event{ID: "k3x9-1052", Type: "homeassistant_start", TimeFired: fired, Data: json.RawMessage(`null`)},
		envelope: `{"id":"k3x9-1052","type":"homeassistant_start","data":{},"timestamp":"` + fired + `"}`,
		named:    `{"event_type":"homeassistant_start","time_fired":"` + fired + `","context":null}`,
	}, {
		name:     "data missing, data empty object with spaces",
		ev:       hass.Event{ID: "k3x9-1053", Type: "homeassistant_stop", TimeFired: fired, Data: json.RawMessage(` { } `), Context: json.RawMessage(ctxJSON)},
		envelope: `{"id":"k3x9-1053","type":"homeassistant_stop","data":{},"timestamp":"` + fired + `"}`,
		named:    `{"event_type":"homeassistant_stop","time_fired":"` + fired + `","context":` + ctxJSON + `}`,
	}, {
		name: "strings that need escaping",
		ev: hass.Event{
			ID: "k3x9-1054", Type: "my\"event\\", Origin: "LOCAL", TimeFired: "2025\n03", Context: json.RawMessage(ctxJSON),
			Data:     json.RawMessage(`{"x":"\u2028"}`),
			EntityID: "sensor.k\u00fcche\t1", Domain: "sensor",
		},
		envelope: `{"id":"k3x9-1054","type":"my\"event\\","entity_id":"sensor.k\u00fcche\t1","domain":"sensor",` +
			`"data":{"x":"\u2028"},"timestamp":"2025\n03"}`,
		named: `{"event_type":"my\"event\\","x":"\u2028","time_fired":"2025\n03","origin":"LOCAL","context":` + ctxJSON + `}`,
	}, {
		name: "JSON with raw line breaks",
		ev: hass.Event{
			ID: "k3x9-1055", Type: "state_changed", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage("{\n\"id\":\"c\"\r\n}"),
			Data:     json.RawMessage("{\"entity_id\":\"light.kitchen\",\r\"old_state\":null,\n\"new_state\":{\"state\":\"on\"}}\n"),
			EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"},
			NewState: json.RawMessage("{\n\"state\":\"on\"\n}"), State: "on", StateChanged: true,
		},
		envelope: `{"id":"k3x9-1055","type":"state_changed","entity_id":"light.kitchen","domain":"light","state":"on",` +
			`"data":{"state":"on","old_state":null},"timestamp":"` + fired + `"}`,
		named: `{"event_type":"state_changed","entity_id":"light.kitchen","old_state":null,"new_state":{"state":"on"}` +
			`,"time_fired":"` + fired + `","origin":"LOCAL","context":{"id":"c"}}`,
	}}
}

// decode unmarshals the JSON text s, failing the test when it is not valid.
func decode(t *testing.T, what, s string) any {
	t.Helper()
	var v any
	if err := json.Unmarshal([]byte(s), &v); err != nil {
		t.Fatalf("%s: %v in %s", what, err, s)
	}
	return v
}

func TestNewFrame(t *testing.T) {
	for _, tc := range frameCases() {
		fr := NewFrame(&tc.ev)
		if fr.Event != &tc.ev {
			t.Errorf("%s: NewFrame(ev).Event = %p, want ev %p", tc.name, fr.Event, &tc.ev)
		}
		for _, k := range []struct {
			kind  Kind
			event string
			want  string
		}{
			{Envelope, "", tc.envelope},
			{Named, tc.ev.Type, tc.named},
		} {
			b := fr.Bytes(k.kind)
			checkFraming(t, b)
			msgs := parse(t, b)
			if len(msgs) != 1 {
				t.Errorf("%s, %v: %q holds %d messages, want 1", tc.name, k.kind, b, len(msgs))
				continue
			}
			if msgs[0].ID != tc.ev.ID || msgs[0].Event != k.event {
				t.Errorf("%s, %v: id %q, event %q, want %q, %q", tc.name, k.kind, msgs[0].ID, msgs[0].Event, tc.ev.ID, k.event)
			}
			got := decode(t, tc.name+" "+k.kind.String(), msgs[0].Data)
			if diff := cmp.Diff(decode(t, "want", k.want), got); diff != "" {
				t.Errorf("%s, %v: data (-want +got):\n%s", tc.name, k.kind, diff)
			}
		}
	}
}

// TestNewFrameWire pins the exact bytes of one event: field order, compact JSON, one data: line.
func TestNewFrameWire(t *testing.T) {
	ev := &hass.Event{
		ID: "k3x9-1046", Type: "call_service", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
		Data:     json.RawMessage(`{"domain":"light","service":"turn_on","service_data":{"entity_id":"light.kitchen"}}`),
		EntityID: "light.kitchen", Domain: "light", Entities: []string{"light.kitchen"},
	}
	fr := NewFrame(ev)
	for _, tc := range []struct {
		kind Kind
		want string
	}{
		{Envelope, "id: k3x9-1046\n" +
			`data: {"id":"k3x9-1046","type":"service_called","domain":"light","entity_id":"light.kitchen",` +
			`"data":{"domain":"light","service":"turn_on","service_data":{"entity_id":"light.kitchen"}},"timestamp":"` + fired + `"}` + "\n\n"},
		{Named, "id: k3x9-1046\nevent: call_service\n" +
			`data: {"event_type":"call_service","domain":"light","service":"turn_on","service_data":{"entity_id":"light.kitchen"},` +
			`"time_fired":"` + fired + `","origin":"LOCAL","context":` + ctxJSON + `}` + "\n\n"},
	} {
		if got := string(fr.Bytes(tc.kind)); got != tc.want {
			t.Errorf("NewFrame(call_service).Bytes(%v) =\n%s\nwant\n%s", tc.kind, got, tc.want)
		}
	}
}

// TestFrameBytesCapped checks that appending to one format's bytes cannot overwrite the other's.
func TestFrameBytesCapped(t *testing.T) {
	fr := NewFrame(&frameCases()[0].ev)
	named := bytes.Clone(fr.Bytes(Named))
	_ = append(fr.Bytes(Envelope), "garbage"...)
	if !bytes.Equal(fr.Bytes(Named), named) {
		t.Errorf("appending to Bytes(Envelope) changed Bytes(Named) to %q", fr.Bytes(Named))
	}
}

// FuzzNewFrame feeds arbitrary events to NewFrame. Both messages are always one well-formed SSE
// event with the event's id and name; when every JSON piece of the event is valid JSON (or
// missing), the data is valid JSON, and the envelope's own keys read back as given.
func FuzzNewFrame(f *testing.F) {
	for _, tc := range frameCases() {
		ev := tc.ev
		f.Add(ev.ID, ev.Type, []byte(ev.Data), []byte(ev.Context), []byte(ev.OldState), []byte(ev.NewState),
			ev.Origin, ev.TimeFired, ev.EntityID, ev.Domain, ev.State, uint8(len(ev.Entities)))
	}
	f.Add("1-1", "state_changed", []byte("[1]"), []byte("5"), []byte(`"x"`), []byte("[]"), "", "", "", "", "", uint8(0))
	f.Fuzz(func(t *testing.T, id, typ string, data, ctx, oldState, newState []byte,
		origin, timeFired, entityID, domain, state string, entities uint8) {
		ev := &hass.Event{
			ID: id, Type: typ, Data: data, Context: ctx, OldState: oldState, NewState: newState,
			Origin: origin, TimeFired: timeFired, EntityID: entityID, Domain: domain, State: state,
		}
		for range entities % 4 {
			ev.Entities = append(ev.Entities, entityID)
		}
		fr := NewFrame(ev)
		valid := true
		for _, raw := range [][]byte{data, ctx, oldState, newState} {
			valid = valid && (len(trimSpace(raw)) == 0 || json.Valid(raw))
		}
		cut := func(s, bad string) string {
			return strings.Map(func(r rune) rune {
				if strings.ContainsRune(bad, r) {
					return -1
				}
				return r
			}, s)
		}
		for _, k := range []struct {
			kind  Kind
			event string
		}{
			{Envelope, ""},
			{Named, typ},
		} {
			b := fr.Bytes(k.kind)
			checkFraming(t, b)
			msgs := parse(t, b)
			if len(msgs) != 1 {
				t.Fatalf("%v of %+v: %q holds %d messages, want 1", k.kind, ev, b, len(msgs))
			}
			if utf8.ValidString(id+typ) && (msgs[0].ID != cut(id, "\r\n\x00") || msgs[0].Event != cut(k.event, "\r\n")) {
				t.Errorf("%v of %+v: id %q, event %q", k.kind, ev, msgs[0].ID, msgs[0].Event)
			}
			if !valid {
				continue
			}
			if !json.Valid([]byte(msgs[0].Data)) {
				t.Fatalf("%v of %+v: data is not valid JSON: %s", k.kind, ev, msgs[0].Data)
			}
		}
		if !valid || !utf8.ValidString(id+typ+timeFired) {
			return
		}
		var env struct{ ID, Type, Timestamp string }
		if err := json.Unmarshal([]byte(parse(t, fr.Bytes(Envelope))[0].Data), &env); err != nil {
			t.Fatalf("envelope of %+v: %v", ev, err)
		}
		if want := (struct{ ID, Type, Timestamp string }{id, hass.Alias(typ), timeFired}); env != want {
			t.Errorf("envelope of %+v: id, type, timestamp = %+v, want %+v", ev, env, want)
		}
	})
}

// benchEvent is a realistic state_changed event of about 1 KB: a colour light turned on.
func benchEvent(tb testing.TB) *hass.Event {
	state := func(s, brightness, changed string) string {
		return `{"entity_id":"light.living_room","state":"` + s + `","attributes":{"min_color_temp_kelvin":2000,` +
			`"max_color_temp_kelvin":6535,"min_mireds":153,"max_mireds":500,"effect_list":["colorloop","random"],` +
			`"supported_color_modes":["color_temp","xy"],"color_mode":"xy","brightness":` + brightness + `,` +
			`"hs_color":[30.0,70.0],"rgb_color":[255,165,76],"xy_color":[0.557,0.383],"friendly_name":"Living room",` +
			`"supported_features":44},"last_changed":"` + changed + `","last_reported":"` + changed + `",` +
			`"last_updated":"` + changed + `","context":{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":null}}`
	}
	oldState, newState := state("off", "null", "2025-03-14T07:02:11.004120+00:00"), state("on", "204", fired)
	ev := &hass.Event{
		ID: "m7q2-1048576", Type: "state_changed", Origin: "LOCAL", TimeFired: fired, Context: json.RawMessage(ctxJSON),
		Data:     json.RawMessage(`{"entity_id":"light.living_room","old_state":` + oldState + `,"new_state":` + newState + `}`),
		EntityID: "light.living_room", Domain: "light", Entities: []string{"light.living_room"},
		OldState: json.RawMessage(oldState), NewState: json.RawMessage(newState), State: "on", StateChanged: true,
	}
	if !json.Valid(ev.Data) {
		tb.Fatalf("benchEvent data is not valid JSON: %s", ev.Data)
	}
	return ev
}

// heldFrame keeps BenchmarkNewFrame's frames on the heap, as the ring does.
var heldFrame *Frame

// BenchmarkNewFrame makes the frame of one state_changed: "held" is what the replay ring holds
// for an event no client took (its B/op), "both formats" what it holds once clients of each
// format took it.
func BenchmarkNewFrame(b *testing.B) {
	ev := benchEvent(b)
	b.Run("held", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(ev.Data)))
		for b.Loop() {
			heldFrame = NewFrame(ev)
		}
	})
	b.Run("both formats", func(b *testing.B) {
		b.ReportAllocs()
		b.SetBytes(int64(len(ev.Data)))
		for b.Loop() {
			fr := NewFrame(ev)
			fr.Bytes(Envelope)
			fr.Bytes(Named)
		}
	})
}

func TestBytesWithoutID(t *testing.T) {
	ev := &hass.Event{ID: "k3x9-7", Type: hass.TypeCallService, Domain: "light", Data: []byte(`{"domain":"light","service":"turn_on"}`), TimeFired: "2025-03-14T09:31:40+00:00"}
	fr := NewFrame(ev)
	for _, k := range []Kind{Envelope, Named} {
		full, bare := string(fr.Bytes(k)), string(fr.BytesWithoutID(k))
		if full != "id: k3x9-7\n"+bare || strings.Contains(bare, "\nid:") {
			t.Errorf("%v: Bytes %q, BytesWithoutID %q; want the same message less its first line, the id", k, full, bare)
		}
	}
	noID := NewFrame(&hass.Event{Type: "x", Data: []byte(`{}`)})
	if got, want := noID.BytesWithoutID(Envelope), noID.Bytes(Envelope); string(got) != string(want) {
		t.Errorf("a frame without id: BytesWithoutID %q, want Bytes %q", got, want)
	}
}

// TestFrameEncodesOnDemand: a Frame encodes a format's message only when it is asked for, once,
// and shares it with every caller, whatever goroutine asks first.
func TestFrameEncodesOnDemand(t *testing.T) {
	for _, tc := range frameCases() {
		fr := NewFrame(&tc.ev)
		if fr.msgs[Envelope].b != nil || fr.msgs[Named].b != nil {
			t.Fatalf("%s: NewFrame encoded a message before it was asked for", tc.name)
		}
		want := map[Kind]string{Envelope: string(NewFrame(&tc.ev).Bytes(Envelope)), Named: string(NewFrame(&tc.ev).Bytes(Named))}
		fr.Bytes(Envelope)
		if fr.msgs[Named].b != nil {
			t.Errorf("%s: asking for the envelope message encoded the named one", tc.name)
		}
		var wg sync.WaitGroup
		got := make([][]byte, 8)
		for i := range got {
			wg.Go(func() { got[i] = fr.Bytes(Kind(i % 2)) })
		}
		wg.Wait()
		for i, b := range got {
			k := Kind(i % 2)
			if string(b) != want[k] || &b[0] != &fr.Bytes(k)[0] {
				t.Errorf("%s: caller %d got %q for %v, want the Frame's one shared %q", tc.name, i, b, k, want[k])
			}
		}
	}
}

// TestFrameSize: a Frame's Size never changes as its messages are made, and counts at least its
// messages, its event's data and the Frame and Event themselves.
func TestFrameSize(t *testing.T) {
	for _, tc := range frameCases() {
		fr := NewFrame(&tc.ev)
		before := fr.Size()
		held := len(fr.Bytes(Envelope)) + len(fr.Bytes(Named)) + len(tc.ev.Data) + len(tc.ev.Context) +
			int(unsafe.Sizeof(*fr)+unsafe.Sizeof(tc.ev))
		if after := fr.Size(); after != before || after < held {
			t.Errorf("%s: Size %d before encoding, %d after; want the same, at least %d", tc.name, before, after, held)
		}
	}
}
