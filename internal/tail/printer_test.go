package tail

import (
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"
)

// Messages as the gateway writes them (SPEC.md §4.3, §4.4), in both formats.
const (
	envStateChanged = `{"id":"k3-41","type":"state_changed","entity_id":"sensor.kitchen_temperature","domain":"sensor","state":"22.2","data":{"entity_id":"sensor.kitchen_temperature","state":"22.2","attributes":{"unit_of_measurement":"°C"},"old_state":{"entity_id":"sensor.kitchen_temperature","state":"22.1","attributes":{"unit_of_measurement":"°C"}}},"timestamp":"2026-11-25T14:31:34.434840+00:00"}`
	envAttributes   = `{"id":"k3-42","type":"state_changed","entity_id":"light.hall","domain":"light","state":"on","data":{"state":"on","attributes":{"brightness":20},"old_state":{"state":"on","attributes":{"brightness":10}}},"timestamp":"2026-11-25T14:31:35+00:00"}`
	envCreated      = `{"id":"k3-43","type":"state_changed","origin":"resync","entity_id":"light.new","domain":"light","state":"off","data":{"state":"off","old_state":null},"timestamp":"2026-11-25T14:31:36+00:00"}`
	envRemoved      = `{"id":"k3-44","type":"state_changed","entity_id":"light.old","domain":"light","state":null,"data":{"entity_id":"light.old","new_state":null,"old_state":{"state":"on"}},"timestamp":"2026-11-25T14:31:37+00:00"}`
	envService      = `{"id":"k3-45","type":"service_called","domain":"light","data":{"domain":"light","service":"turn_on","service_data":{"entity_id":["light.kitchen","light.kitchen_island"],"brightness":200}},"timestamp":"2026-11-25T14:31:38+00:00"}`
	envAutomation   = `{"id":"k3-46","type":"automation_triggered","entity_id":"automation.kitchen_lights","domain":"automation","data":{"name":"Kitchen lights","entity_id":"automation.kitchen_lights","source":"state of binary_sensor.kitchen_motion","automation_id":"automation.kitchen_lights"},"timestamp":"2026-11-25T14:31:39+00:00"}`
	envOther        = `{"id":"k3-47","type":"component_loaded","data":{"component":"hue"},"timestamp":"2026-11-25T14:31:40+00:00"}`
	envSnapshot     = `{"type":"state","entity_id":"sensor.power","domain":"sensor","state":"312","data":{"entity_id":"sensor.power","state":"312","attributes":{"unit_of_measurement":"W"}}}`
	envConnection   = `{"type":"connection","status":"connected","id":"sse_1_ab","authenticated":true,"filters":{},"resumed":true,"ignored_params":["colour"],"timestamp":"2026-11-25T14:31:30.000Z"}`
	envGap          = `{"type":"gap","reason":"epoch_changed","since":"k3-47","timestamp":"2026-11-25T14:31:41.000Z"}`
	envError        = `{"type":"error","error":"ha_disconnected","message":"the connection to Home Assistant is lost; reconnecting","timestamp":"2026-11-25T14:31:42.000Z"}`
	envDisconnect   = `{"type":"disconnect","reason":"server_shutdown","timestamp":"2026-11-25T14:31:43.000Z"}`
	envPing         = `{"type":"ping","timestamp":"2026-11-25T14:31:44.000Z"}`

	namedStateChanged = `{"event_type":"state_changed","entity_id":"light.hall","old_state":{"entity_id":"light.hall","state":"on"},"new_state":{"entity_id":"light.hall","state":"off"},"time_fired":"2026-11-25T14:31:50.5+00:00","origin":"LOCAL","context":{"id":"c1"}}`
	namedService      = `{"event_type":"call_service","domain":"script","service":"turn_on","service_data":{"entity_id":"script.movie_time"},"time_fired":"2026-11-25T14:31:51+00:00","origin":"LOCAL","context":{"id":"c2"}}`
	namedScript       = `{"event_type":"script_started","name":"Movie time","entity_id":"script.movie_time","time_fired":"2026-11-25T14:31:52+00:00","origin":"LOCAL","context":{"id":"c2"}}`
	namedOther        = `{"event_type":"themes_updated","themes":{"dark":true},"time_fired":"2026-11-25T14:31:53+00:00","origin":"LOCAL","context":{"id":"c3"}}`
	namedSnapshot     = `{"entity_id":"lock.front_door","state":"locked","attributes":{},"last_changed":"2026-11-25T10:00:00+00:00"}`
	namedGap          = `{"reason":"ha_reconnected","since":null,"timestamp":"2026-11-25T14:31:54.000Z"}`
	namedSnapshotDone = `{"count":12}`
)

func envelope(id, data string) Message {
	return Message{Data: data, HasData: true, LastEventID: id, HasID: id != ""}
}

func named(event, id, data string) Message {
	return Message{Event: event, Data: data, HasData: true, LastEventID: id, HasID: id != ""}
}

// newTestPrinter is a Printer into two builders, on UTC, whose clock says 12:00:00.
func newTestPrinter(json, color bool) (*Printer, *strings.Builder, *strings.Builder) {
	var out, errs strings.Builder
	return &Printer{
		Out: &out, Err: &errs, JSON: json, OutColor: color, ErrColor: color,
		Now: func() time.Time { return time.Date(2026, 11, 25, 12, 0, 0, 0, time.UTC) },
	}, &out, &errs
}

func TestPrinterPretty(t *testing.T) {
	for _, tc := range []struct {
		name      string
		m         Message
		event     bool
		out, errs string
	}{
		{"state change", envelope("k3-41", envStateChanged), true,
			"14:31:34.434  state_changed         sensor.kitchen_temperature      22.1 → 22.2 °C\n", ""},
		{"attributes only", envelope("k3-42", envAttributes), true,
			"14:31:35.000  state_changed         light.hall                      on (attributes)\n", ""},
		{"new entity, by resync", envelope("k3-43", envCreated), true,
			"14:31:36.000  state_changed         light.new                       (new) → off  [resync]\n", ""},
		{"removed entity", envelope("k3-44", envRemoved), true,
			"14:31:37.000  state_changed         light.old                       on → (removed)\n", ""},
		{"service call", envelope("k3-45", envService), true,
			"14:31:38.000  service_called        light.kitchen,light.kitchen_island  light.turn_on {\"brightness\":200}\n", ""},
		{"automation", envelope("k3-46", envAutomation), true,
			"14:31:39.000  automation_triggered  automation.kitchen_lights       “Kitchen lights” (state of binary_sensor.kitchen_motion)\n", ""},
		{"other type", envelope("k3-47", envOther), true,
			"14:31:40.000  component_loaded                                      {\"component\":\"hue\"}\n", ""},
		{"snapshot state", envelope("", envSnapshot), true,
			"12:00:00.000  state                 sensor.power                    = 312 W\n", ""},
		{"connection", envelope("", envConnection), false,
			"", "14:31:30.000  connected             client sse_1_ab, resumed: nothing missed  ignored parameters: colour\n"},
		{"gap", envelope("k3-47", envGap), false,
			"", "14:31:41.000  *** GAP ***           events after k3-47 may be missing: the gateway restarted and its history is gone (epoch_changed)\n"},
		{"error", envelope("", envError), false,
			"", "14:31:42.000  error                 ha_disconnected: the connection to Home Assistant is lost; reconnecting\n"},
		{"disconnect", envelope("", envDisconnect), false,
			"", "14:31:43.000  disconnect            the gateway ends the stream (server_shutdown)\n"},
		{"ping", envelope("", envPing), false, "", ""},
		{"named state change", named("state_changed", "k3-50", namedStateChanged), true,
			"14:31:50.500  state_changed         light.hall                      on → off\n", ""},
		{"named service call", named("call_service", "k3-51", namedService), true,
			"14:31:51.000  call_service          script.movie_time               script.turn_on\n", ""},
		{"named script", named("script_started", "k3-52", namedScript), true,
			"14:31:52.000  script_started        script.movie_time               “Movie time”\n", ""},
		{"named other type", named("themes_updated", "k3-53", namedOther), true,
			"14:31:53.000  themes_updated                                        {\"themes\":{\"dark\":true}}\n", ""},
		{"named snapshot state", named("state", "", namedSnapshot), true,
			"12:00:00.000  state                 lock.front_door                 = locked\n", ""},
		{"named gap, nothing before", named("gap", "", namedGap), false,
			"", "14:31:54.000  *** GAP ***           events after the start may be missing: Home Assistant was out of reach; resync states follow (ha_reconnected)\n"},
		{"named snapshot complete", named("snapshot_complete", "", namedSnapshotDone), false,
			"", "12:00:00.000  snapshot              12 states; live events follow\n"},
		{"named custom event, odd member types", named("my_event", "k3-54", `{"event_type":"my_event","id":5,"name":{"x":1},"time_fired":"2026-11-25T14:31:55+00:00"}`), true,
			"14:31:55.000  my_event                                              {\"id\":5,\"name\":{\"x\":1}}\n", ""},
		{"not JSON", named("note", "", "hello\nworld"), true,
			"12:00:00.000  note                                                  hello world\n", ""},
	} {
		p, out, errs := newTestPrinter(false, false)
		event, err := p.Message(tc.m)
		if err != nil || event != tc.event || out.String() != tc.out || errs.String() != tc.errs {
			t.Errorf("%s: Message(%q) = %v, %v; wrote\nout  %q\nerr  %q\nwant %v, nil;\nout  %q\nerr  %q",
				tc.name, tc.m.Data, event, err, out, errs, tc.event, tc.out, tc.errs)
		}
	}
}

func TestPrinterColor(t *testing.T) {
	p, out, errs := newTestPrinter(false, true)
	for _, m := range []Message{envelope("k3-41", envStateChanged), envelope("", envGap)} {
		if _, err := p.Message(m); err != nil {
			t.Fatal(err)
		}
	}
	p.Notice("reconnecting in 1s")
	if want := "\x1b[1;32m22.2 °C\x1b[0m\n"; !strings.HasSuffix(out.String(), want) {
		t.Errorf("state change in colour %q, want the new state in bold green: suffix %q", out, want)
	}
	if want := "\x1b[1;97;41m GAP \x1b[0m"; !strings.Contains(errs.String(), want) {
		t.Errorf("gap in colour %q, want a white-on-red banner %q", errs, want)
	}
	if want := "\x1b[33mtail\x1b[0m"; !strings.Contains(errs.String(), want) {
		t.Errorf("notice in colour %q, want %q", errs, want)
	}
}

func TestPrinterJSON(t *testing.T) {
	for _, tc := range []struct {
		name      string
		m         Message
		out, errs string
	}{
		{"envelope event, as it came", envelope("k3-45", envService), envService + "\n", ""},
		{"envelope control", envelope("", envConnection), envConnection + "\n", ""},
		{"ping left out", envelope("", envPing), "", ""},
		{"multi-line data compacted", envelope("", "{\"type\":\"x\",\n \"a\": 1}"), `{"type":"x","a":1}` + "\n", ""},
		{"named: event name and id first", named("script_started", "k3-52", namedScript),
			`{"event":"script_started","id":"k3-52",` + namedScript[1:] + "\n", ""},
		{"named without id", named("snapshot_complete", "", namedSnapshotDone), `{"event":"snapshot_complete","count":12}` + "\n", ""},
		{"named empty object", named("x", "k3-9", "{}"), `{"event":"x","id":"k3-9"}` + "\n", ""},
		{"not JSON", named("note", "k3-9", "hello"), `{"event":"note","id":"k3-9","data":"hello"}` + "\n", ""},
		{"gap: in the stream, and loudly on stderr", envelope("k3-47", envGap), envGap + "\n",
			"14:31:41.000  *** GAP ***           events after k3-47 may be missing: the gateway restarted and its history is gone (epoch_changed)\n"},
	} {
		p, out, errs := newTestPrinter(true, false)
		if _, err := p.Message(tc.m); err != nil || out.String() != tc.out || errs.String() != tc.errs {
			t.Errorf("%s: Message(%q): error %v, wrote\nout  %q\nerr  %q\nwant\nout  %q\nerr  %q", tc.name, tc.m.Data, err, out, errs, tc.out, tc.errs)
		}
		if line := strings.TrimSuffix(out.String(), "\n"); line != "" && !json.Valid([]byte(line)) {
			t.Errorf("%s: %q is not JSON", tc.name, line)
		}
	}
}

type failingWriter struct{}

func (failingWriter) Write([]byte) (int, error) { return 0, errors.New("broken pipe") }

func TestPrinterWriteError(t *testing.T) {
	for _, json := range []bool{false, true} {
		p := &Printer{Out: failingWriter{}, Err: failingWriter{}, JSON: json}
		if _, err := p.Message(envelope("k3-41", envStateChanged)); err == nil {
			t.Errorf("JSON %v: Message into a broken writer: nil error", json)
		}
	}
}

// TestPrinterStripsTerminalEscapes sends what an outside review put into Home Assistant's data
// (a clear-screen, an OSC 52 clipboard write, a C1 CSI, a lone 0x9b byte, a right-to-left
// override) through every kind of line, pretty without colour and as JSON lines: none reaches the
// output as the terminal would read it, and each shows as a visible escape instead.
func TestPrinterStripsTerminalEscapes(t *testing.T) {
	const (
		clear   = `\u001b[2J\u001b[H`
		osc52   = `\u001b]52;c;cm0gLXJmIH4=\u0007`
		c1      = `\u009b31m`
		rlo     = `\u202egnp.exe`
		loneCSI = "\x9b2J" // not UTF-8: only raw bytes can carry it
	)
	messages := []Message{
		envelope("k3-1", `{"id":"k3-1","type":"state_changed","entity_id":"sensor.x`+clear+`","domain":"sensor","state":"`+osc52+`","data":{"state":"`+osc52+`","attributes":{"unit_of_measurement":"`+c1+`"},"old_state":{"state":"`+rlo+`"}},"timestamp":"2026-11-25T14:31:34+00:00"}`),
		envelope("k3-2", `{"id":"k3-2","type":"service_called","domain":"notify","data":{"domain":"notify","service":"tv","service_data":{"message":"`+clear+osc52+`","title":"`+loneCSI+`"}},"timestamp":"2026-11-25T14:31:35+00:00"}`),
		named("script_started", "k3-3", `{"event_type":"script_started","name":"`+osc52+`","entity_id":"script.x","source":"`+rlo+`","time_fired":"2026-11-25T14:31:36+00:00"}`),
		named("my_event"+"\x1b[2J", "k3-4", `{"event_type":"my_event","text":"`+c1+`"}`),
		envelope("", `{"type":"error","error":"`+clear+`","message":"`+osc52+`"}`),
		envelope("", `{"type":"connection","id":"sse_`+c1+`","ignored_params":["`+clear+`"]}`),
		envelope("k3-5", `{"type":"gap","reason":"`+osc52+`","since":"`+rlo+`"}`),
		named("note", "", "plain "+loneCSI+"\x1b]52;c;eA==\x07"),
	}
	raw := []string{"\x1b", "\x07", "\u009b", "\x9b", "\u202e"}
	for _, asJSON := range []bool{false, true} {
		p, out, errs := newTestPrinter(asJSON, false)
		for _, m := range messages {
			if _, err := p.Message(m); err != nil {
				t.Fatal(err)
			}
		}
		p.Notice("the gateway said \x1b]0;pwned\x07")
		all := out.String() + errs.String()
		for _, r := range raw {
			if strings.Contains(all, r) {
				t.Errorf("JSON %v: the output holds %q raw:\n%s", asJSON, r, all)
			}
		}
		if asJSON {
			for _, line := range strings.Split(strings.TrimSuffix(out.String(), "\n"), "\n") {
				if !json.Valid([]byte(line)) {
					t.Errorf("%q is not JSON", line)
				}
			}
			var got struct{ Data struct{ State string } }
			if err := json.Unmarshal([]byte(strings.SplitN(out.String(), "\n", 2)[0]), &got); err != nil || got.Data.State != "\x1b]52;c;cm0gLXJmIH4=\x07" {
				t.Errorf("the JSON line's state decodes to %q (%v), want the value as sent", got.Data.State, err)
			}
			continue
		}
		for _, visible := range []string{`sensor.x\x1b[2J\x1b[H`, `\x1b]52;c;cm0gLXJmIH4=\x07`, `\x9b31m`, `\u202egnp.exe`, `\x9b2J`, `\x1b]0;pwned\x07`} {
			if !strings.Contains(all, visible) {
				t.Errorf("the pretty output does not show %s:\n%s", visible, all)
			}
		}
	}
}
