package hass

import (
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"hasse/internal/hass/hajson"
)

func TestSanitizerState(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"camera", cameraIdle1, cameraIdle1Redacted},
		{"media player picture keeps its other parameters", speakerPlaying, speakerPlayingRedacted},
		{"nothing to remove", lightOn, lightOn},
		{"already redacted", cameraIdle1Redacted, cameraIdle1Redacted},
		{"secret-looking value is kept", hajson.State("sensor.x", "token", `{"friendly_name":"password"}`, hajson.Fired, hajson.CtxNone),
			hajson.State("sensor.x", "token", `{"friendly_name":"password"}`, hajson.Fired, hajson.CtxNone)},
		{"escaped URL", hajson.State("camera.x", "idle", `{"entity_picture":"\/api\/camera_proxy\/camera.x?token=abc\u0026cache=1"}`, hajson.Fired, hajson.CtxNone),
			hajson.State("camera.x", "idle", `{"entity_picture":"/api/camera_proxy/camera.x?token=REDACTED\u0026cache=1"}`, hajson.Fired, hajson.CtxNone)},
		{"every listed name", hajson.State("lock.x", "locked", `{"password":"1234","api_key":"k","token":"t","code_format":"^\\d{4}$"}`, hajson.Fired, hajson.CtxNone),
			hajson.State("lock.x", "locked", `{"code_format":"^\\d{4}$"}`, hajson.Fired, hajson.CtxNone)},
	} {
		got, changed := testSanitizer.State([]byte(tc.in))
		if string(got) != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("%s: State(%s) = %s, %v; want %s, %v", tc.name, tc.in, got, changed, tc.want, tc.in != tc.want)
		}
		if again, changed := testSanitizer.State(got); changed || string(again) != string(got) {
			t.Errorf("%s: State is not idempotent: State(%s) = %s, %v", tc.name, got, again, changed)
		}
	}
}

// TestSanitizerData checks that secrets go at any depth of an event's data: a lock's code in a
// service call (which reached both SSE formats and MCP before), secrets one level down and more,
// and objects in lists.
func TestSanitizerData(t *testing.T) {
	s := NewSanitizer([]string{"code", " password ", "token", ""})
	for _, tc := range []struct {
		name, in, want string
	}{
		{"a lock's code", `{"domain":"lock","service":"unlock","service_data":{"entity_id":"lock.front","code":"4711-SECRET"}}`,
			`{"domain":"lock","service":"unlock","service_data":{"entity_id":"lock.front"}}`},
		{"top level", `{"password":"p","x":1}`, `{"x":1}`},
		{"script variables", `{"domain":"script","service":"turn_on","service_data":{"variables":{"password":"hunter2","who":"me"}}}`,
			`{"domain":"script","service":"turn_on","service_data":{"variables":{"who":"me"}}}`},
		{"two levels down", `{"service_data":{"creds":{"token":"t-1","user":"u"},"code":1234}}`, `{"service_data":{"creds":{"user":"u"}}}`},
		{"objects in lists", `{"steps":[{"code":"1"},[{"password":"2","ok":true}],"code"]}`, `{"steps":[{},[{"ok":true}],"code"]}`},
		{"token URLs in lists", `{"pictures":["/api/camera_proxy/x?token=abc"]}`, `{"pictures":["/api/camera_proxy/x?token=REDACTED"]}`},
		{"states", hajson.ChangedData("camera.driveway", "null", cameraIdle1),
			hajson.ChangedData("camera.driveway", "null", hajson.State("camera.driveway", "idle", `{"access_token":"`+cameraToken1+
				`","frontend_stream_type":"hls","entity_picture":"/api/camera_proxy/camera.driveway?token=REDACTED",`+
				`"friendly_name":"Driveway","supported_features":2}`, "2025-03-14T09:26:40+00:00", hajson.CtxNone))},
		{"names as values and prefixes stay", `{"code_format":"number","name":"code","codes":["password"]}`,
			`{"code_format":"number","name":"code","codes":["password"]}`},
	} {
		got, changed := s.data([]byte(tc.in))
		if string(got) != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("%s: data(%s) = %s, %v; want %s", tc.name, tc.in, got, changed, tc.want)
		}
	}
}

func TestRedactions(t *testing.T) {
	for _, tc := range []struct {
		changes []string
		want    []string
		err     string
	}{
		{nil, DefaultRedact, ""},
		{[]string{"wifi_key", " ", "code"}, append(slices.Clone(DefaultRedact), "wifi_key"), ""},
		{[]string{"-code", "-pin"}, slices.DeleteFunc(slices.Clone(DefaultRedact), func(n string) bool { return n == "code" || n == "pin" }), ""},
		{[]string{"x", "-x"}, DefaultRedact, ""},
		{[]string{"-nope"}, nil, `"-nope": "nope" is not redacted`},
		{[]string{`a"b`}, nil, "not a member name"},
	} {
		got, err := Redactions(tc.changes)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Redactions(%q) = %q, %v; want an error %q", tc.changes, got, err, tc.err)
			}
			continue
		}
		if diff := cmp.Diff(tc.want, got); err != nil || diff != "" {
			t.Errorf("Redactions(%q) error %v, diff (-want +got):\n%s", tc.changes, err, diff)
		}
	}
}

func TestSanitizerNeedles(t *testing.T) {
	var got []string
	for _, n := range NewSanitizer([]string{"access_token", "token", "password", "api_key", "code"}).needles {
		got = append(got, string(n.s))
	}
	// Names are searched quoted, query parameters with their '='; token= is inside access_token=,
	// so access_token= needs no search of its own.
	want := []string{`"access_token"`, `"token"`, `"password"`, `"api_key"`, `"code"`, "token=", "password=", "api_key=", "code="}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("needles, diff (-want +got):\n%s", diff)
	}
}

func TestRedactQuery(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"/api/camera_proxy/camera.x?token=abc", "/api/camera_proxy/camera.x?token=REDACTED"},
		{"/p?a=1&token=abc&b=2", "/p?a=1&token=REDACTED&b=2"},
		{"/p?access_token=abc&api_key=k#token=frag", "/p?access_token=REDACTED&api_key=REDACTED#token=frag"},
		{"https://cdn.example/x.png?token=&cache=1", "https://cdn.example/x.png?token=REDACTED&cache=1"},
		{"/p?token=REDACTED", "/p?token=REDACTED"},
		{"/p?tokens=1&x=token=2", "/p?tokens=1&x=token=2"},
		{"no query token=abc", "no query token=abc"},
		{"/p?token", "/p?token"},
	} {
		got, changed := testSanitizer.redactQuery([]byte(tc.in))
		if string(got) != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("redactQuery(%q) = %q, %v; want %q", tc.in, got, changed, tc.want)
		}
	}
}

func TestNeedle(t *testing.T) {
	for _, hay := range []string{"", "token", "xtoken", "tokenx", "toke", "oken", "tokktoken", "kkkk", "api_ke", "a api_key",
		"password", "passwor", `{"access_token":"x"}`, "tok en", "ttttoken"} {
		for _, s := range []string{"token", "api_key", "password", "k", "_"} {
			if got, want := newNeedle(s).in([]byte(hay)), strings.Contains(hay, s); got != want {
				t.Errorf("needle %q in %q = %v, want %v", s, hay, got, want)
			}
		}
	}
}
