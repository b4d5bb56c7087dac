package format

import (
	"encoding/json"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func TestControl(t *testing.T) {
	now := time.Date(2024, 2, 10, 13, 0, 0, 0, time.FixedZone("CET", 3600))
	const ts = `"timestamp":"2024-02-10T12:00:00.000Z"`
	filters := json.RawMessage(`{"domain":["light"]}`)
	for _, tc := range []struct {
		name  string
		b     []byte
		event string // the SSE event name
		want  string // the data, JSON
	}{
		{"connection envelope", AppendConnection(nil, Envelope, Connection{ClientID: "sse_1", Authenticated: true, Filters: filters}, now),
			"", `{"type":"connection","status":"connected","id":"sse_1","authenticated":true,"filters":{"domain":["light"]},"resumed":false,` + ts + `}`},
		{"connection envelope, resumed, ignored params, map filters",
			AppendConnection(nil, Envelope, Connection{ClientID: `a"b`, Filters: map[string]string{"domain": "light"}, Resumed: true, IgnoredParams: []string{"foo", "bar"}}, now),
			"", `{"type":"connection","status":"connected","id":"a\"b","authenticated":false,"filters":{"domain":"light"},"resumed":true,"ignored_params":["foo","bar"],` + ts + `}`},
		{"connection envelope, no filters", AppendConnection(nil, Envelope, Connection{ClientID: "c"}, now),
			"", `{"type":"connection","status":"connected","id":"c","authenticated":false,"filters":{},"resumed":false,` + ts + `}`},
		{"connection envelope, nil map filters", AppendConnection(nil, Envelope, Connection{ClientID: "c", Filters: map[string]string(nil)}, now),
			"", `{"type":"connection","status":"connected","id":"c","authenticated":false,"filters":{},"resumed":false,` + ts + `}`},
		{"connection envelope, filters that do not encode", AppendConnection(nil, Envelope, Connection{ClientID: "c", Filters: func() {}}, now),
			"", `{"type":"connection","status":"connected","id":"c","authenticated":false,"filters":{},"resumed":false,` + ts + `}`},
		{"connection envelope, pretty filters", AppendConnection(nil, Envelope, Connection{ClientID: "c", Filters: json.RawMessage("{\n \"a\": 1\n}")}, now),
			"", `{"type":"connection","status":"connected","id":"c","authenticated":false,"filters":{"a":1},"resumed":false,` + ts + `}`},
		{"connection named", AppendConnection(nil, Named, Connection{ClientID: "sse_1", Authenticated: true, Filters: filters}, now),
			"connected", `{"client_id":"sse_1","message":"Connected to Home Assistant event stream","filters":{"domain":["light"]},` + ts + `}`},
		{"connection named, ignored params", AppendConnection(nil, Named, Connection{ClientID: "sse_1", IgnoredParams: []string{"x"}}, now),
			"connected", `{"client_id":"sse_1","message":"Connected to Home Assistant event stream","filters":{},"ignored_params":["x"],` + ts + `}`},
		{"ping envelope", AppendKeepAlive(nil, Envelope, now), "", `{"type":"ping",` + ts + `}`},
		{"error envelope", AppendError(nil, Envelope, "slow_consumer", "queue full", now),
			"", `{"type":"error","error":"slow_consumer","message":"queue full",` + ts + `}`},
		{"error named", AppendError(nil, Named, "ha_disconnected", "lost \"HA\"\n", now),
			"error", `{"error":"ha_disconnected","message":"lost \"HA\"\n",` + ts + `}`},
		{"gap envelope", AppendGap(nil, Envelope, "ha_reconnected", "k3x9-1042", now),
			"", `{"type":"gap","reason":"ha_reconnected","since":"k3x9-1042",` + ts + `}`},
		{"gap named, no since", AppendGap(nil, Named, "epoch_changed", "", now),
			"gap", `{"reason":"epoch_changed","since":null,` + ts + `}`},
		{"disconnect envelope", AppendDisconnect(nil, Envelope, "server_shutdown", now),
			"", `{"type":"disconnect","reason":"server_shutdown",` + ts + `}`},
		{"disconnect named", AppendDisconnect(nil, Named, "closed_by_admin", now),
			"disconnect", `{"reason":"closed_by_admin",` + ts + `}`},
		{"state envelope", AppendState(nil, Envelope, "light.kitchen", "light", "on", json.RawMessage(kitchenOn)),
			"", `{"type":"state","entity_id":"light.kitchen","domain":"light","state":"on","data":` + kitchenOn + `}`},
		{"state named", AppendState(nil, Named, "light.kitchen", "light", "on", json.RawMessage(kitchenOn)), "state", kitchenOn},
		{"state named, not an object", AppendState(nil, Named, "light.kitchen", "light", "on", nil), "state", `{}`},
		{"snapshot_complete envelope", AppendSnapshotComplete(nil, Envelope, 42), "", `{"type":"snapshot_complete","count":42}`},
		{"snapshot_complete named", AppendSnapshotComplete(nil, Named, 0), "snapshot_complete", `{"count":0}`},
	} {
		checkFraming(t, tc.b)
		if hasIDLine(tc.b) {
			t.Errorf("%s: %q has an id: line; control events have none", tc.name, tc.b)
		}
		msgs := parse(t, tc.b)
		if len(msgs) != 1 {
			t.Errorf("%s: %q holds %d messages, want 1", tc.name, tc.b, len(msgs))
			continue
		}
		if msgs[0].Event != tc.event {
			t.Errorf("%s: event %q, want %q", tc.name, msgs[0].Event, tc.event)
		}
		if diff := cmp.Diff(decode(t, "want", tc.want), decode(t, tc.name, msgs[0].Data)); diff != "" {
			t.Errorf("%s: data (-want +got):\n%s", tc.name, diff)
		}
	}
}

func TestKeepAliveNamed(t *testing.T) {
	now := time.Date(2026, 1, 9, 13, 0, 30, 0, time.FixedZone("CET", 3600))
	got := AppendKeepAlive([]byte("x"), Named, now)
	if want := "x: keepalive 2026-01-09T12:00:30.000Z\n\n"; string(got) != want {
		t.Errorf("AppendKeepAlive(x, Named, %v) = %q, want %q", now, got, want)
	}
	if msgs := parse(t, got[1:]); len(msgs) != 0 {
		t.Errorf("named keep-alive %q dispatches %v, want nothing", got[1:], msgs)
	}
}

// TestControlKeepsLastEventID checks that a control event between two events leaves the client's
// Last-Event-ID alone.
func TestControlKeepsLastEventID(t *testing.T) {
	now := time.Date(2024, 2, 10, 12, 0, 0, 0, time.UTC)
	for _, k := range []Kind{Envelope, Named} {
		b := NewFrame(&frameCases()[0].ev).Bytes(k)
		b = AppendError(append([]byte(nil), b...), k, "internal", "x", now)
		msgs := parse(t, b)
		if len(msgs) != 2 || msgs[1].ID != "k3x9-1042" {
			t.Errorf("%v: event then error read as %+v, want the error with Last-Event-ID k3x9-1042", k, msgs)
		}
	}
}
