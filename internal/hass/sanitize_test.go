package hass

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSanitizerState(t *testing.T) {
	for _, tc := range []struct {
		name, in, want string
	}{
		{"camera", cameraIdle1, cameraIdle1Redacted},
		{"media player picture keeps its other parameters", speakerPlaying, speakerPlayingRedacted},
		{"nothing to remove", lightOn, lightOn},
		{"already redacted", cameraIdle1Redacted, cameraIdle1Redacted},
		{"secret-looking value is kept", stateJSON("sensor.x", "token", `{"friendly_name":"password"}`, fired, ctxNone),
			stateJSON("sensor.x", "token", `{"friendly_name":"password"}`, fired, ctxNone)},
		{"escaped URL", stateJSON("camera.x", "idle", `{"entity_picture":"\/api\/camera_proxy\/camera.x?token=abc\u0026cache=1"}`, fired, ctxNone),
			stateJSON("camera.x", "idle", `{"entity_picture":"/api/camera_proxy/camera.x?token=REDACTED\u0026cache=1"}`, fired, ctxNone)},
		{"every listed name", stateJSON("lock.x", "locked", `{"password":"1234","api_key":"k","token":"t","code_format":"^\\d{4}$"}`, fired, ctxNone),
			stateJSON("lock.x", "locked", `{"code_format":"^\\d{4}$"}`, fired, ctxNone)},
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

func TestSanitizerData(t *testing.T) {
	s := NewSanitizer([]string{"code", " password ", ""})
	for _, tc := range []struct {
		typ, in, want string
	}{
		{"call_service", `{"domain":"lock","service":"unlock","service_data":{"entity_id":"lock.front","code":"1234"}}`,
			`{"domain":"lock","service":"unlock","service_data":{"entity_id":"lock.front"}}`},
		{"my_event", `{"password":"p","nested":{"password":"kept: not at top level"}}`,
			`{"nested":{"password":"kept: not at top level"}}`},
		// token= is always redacted; access_token is not in this list.
		{"state_changed", changedData("camera.driveway", "null", cameraIdle1),
			changedData("camera.driveway", "null", stateJSON("camera.driveway", "idle", `{"access_token":"`+cameraToken1+
				`","frontend_stream_type":"hls","entity_picture":"/api/camera_proxy/camera.driveway?token=REDACTED",`+
				`"friendly_name":"Driveway","supported_features":2}`, "2025-03-14T09:26:40+00:00", ctxNone))},
		// service_data is only special in call_service.
		{"my_event", `{"service_data":{"code":"1234"}}`, `{"service_data":{"code":"1234"}}`},
	} {
		got, changed := s.data([]byte(tc.in), tc.typ)
		if string(got) != tc.want || changed != (tc.in != tc.want) {
			t.Errorf("data(%s, %s) = %s, %v; want %s", tc.in, tc.typ, got, changed, tc.want)
		}
	}
}

func TestSanitizerNeedles(t *testing.T) {
	var got []string
	for _, n := range testSanitizer.needles {
		got = append(got, string(n.s))
	}
	// access_token contains token, so finding "token" covers both.
	if diff := cmp.Diff([]string{"token", "password", "api_key"}, got); diff != "" {
		t.Errorf("needles of the default list, diff (-want +got):\n%s", diff)
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
