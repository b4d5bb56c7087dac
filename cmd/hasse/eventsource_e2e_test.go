//go:build e2e

package main

import (
	"encoding/json"
	mrand "math/rand/v2"
	"net/http"
	"slices"
	"strings"
	"testing"
	"time"
)

// These tests run our own EventSource client (clients_e2e_test.go) against `hasse demo` in Node
// with eventsource@2 and @4 and in headless Chromium. Together they use the API every way the seed
// documents' clients do (SPEC.md §11) — the token in the query, onmessage on the envelope format,
// addEventListener on the named format, type=state, domain and entity filters, a wrong token,
// reconnecting with backoff, a page on another origin — and need nothing outside the repository.

// eachRuntime runs test once per runtime of our client, as a subtest.
func eachRuntime(t *testing.T, test func(t *testing.T, runtime string)) {
	for _, runtime := range clientRuntimes {
		t.Run(runtime, func(t *testing.T) { test(t, runtime) })
	}
}

// TestEventSourceEnvelope: onmessage gets the connection event (authenticated by the token in
// the query), then every event of the home once, in order, each with its id as the SSE id.
func TestEventSourceEnvelope(t *testing.T) {
	eachRuntime(t, func(t *testing.T, runtime string) {
		d := startDemo(t, nil, "--seed", "3", "--rate", "40")
		r := runClient(t, runtime, clientConfig{URL: d.base + "/subscribe_events", Token: d.token, Streams: []streamSpec{{Name: "all"}}})
		var opened, connected bool
		var last string
		var events int
		r.until(func(l clientLine) bool {
			switch l.Kind {
			case "open":
				opened = true
			case "error", "retry", "give_up":
				r.fail("the stream failed")
			case "event":
				if l.Event != "message" {
					r.fail("a %q event: the envelope format has only onmessage's", l.Event)
				}
				ev := decodeEnvelope(t, l.Data)
				switch {
				case !opened:
					r.fail("an event before open")
				case ev.Type == "connection":
					if connected || ev.Authenticated == nil || !*ev.Authenticated || ev.Resumed == nil || *ev.Resumed {
						r.fail("connection event %s: want one, authenticated and not resumed", l.Data)
					}
					connected = true
				case !connected:
					r.fail("event %s before the connection event", l.Data)
				case ev.Type == "ping":
				case controlTypes[ev.Type]:
					r.fail("a %s event on a quiet demo", ev.Type)
				case ev.ID != l.LastEventID:
					r.fail("event %s came with lastEventId %q: want its id", ev.ID, l.LastEventID)
				default:
					if last != "" && !follows(last, ev.ID) {
						r.fail("event %s after %s: want every event once, in order", ev.ID, last)
					}
					last = ev.ID
					events++
				}
			}
			return events >= 10 && (runtime != "chromium" || r.allowed > 0)
		})
	})
}

// follows reports whether id is the event right after prev: same epoch, next sequence.
func follows(prev, id string) bool {
	e1, s1, ok1 := eventID(prev)
	e2, s2, ok2 := eventID(id)
	return ok1 && ok2 && e1 == e2 && s2 == s1+1
}

// namedEvent is what a named-format event says about itself (SPEC.md §4.3, §4.4).
type namedEvent struct {
	ClientID  string `json:"client_id"`  // connected
	EventType string `json:"event_type"` // the HA event's
	EntityID  string `json:"entity_id"`
	Domain    string `json:"domain"` // call_service
	NewState  *struct {
		State string `json:"state"`
	} `json:"new_state"`
}

// TestEventSourceNamed: with the named format, asked for in the query or the server's default,
// addEventListener gets `connected` and then HA-shaped events under their HA names, and onmessage
// gets nothing.
func TestEventSourceNamed(t *testing.T) {
	for _, tc := range []struct {
		name    string
		environ []string
		params  map[string]string
	}{
		{"format=named", nil, map[string]string{"format": "named", "domain": "light"}},
		{"MCP_SSE_FORMAT=named", []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*", "MCP_SSE_FORMAT=named"}, map[string]string{"domain": "light"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			eachRuntime(t, func(t *testing.T, runtime string) {
				d := startDemo(t, tc.environ, "--seed", "3", "--rate", "40")
				r := runClient(t, runtime, clientConfig{URL: d.base + "/subscribe_events", Token: d.token, Streams: []streamSpec{{
					Name: "lights", Params: tc.params, Named: []string{"connected", "state_changed", "call_service"},
				}}})
				var connected bool
				var changes, calls int
				var lastSeq int64
				r.until(func(l clientLine) bool {
					switch l.Kind {
					case "error", "retry", "give_up":
						r.fail("the stream failed")
					case "event":
						var ev namedEvent
						if err := json.Unmarshal(l.Data, &ev); err != nil {
							r.fail("%s event %s: %v", l.Event, l.Data, err)
						}
						if l.Event == "connected" {
							if connected || ev.ClientID == "" {
								r.fail("connected %s: want one, with a client id", l.Data)
							}
							connected = true
							return false
						}
						_, seq, ok := eventID(l.LastEventID)
						switch {
						case l.Event == "message":
							r.fail("onmessage got %s: the named format has an event name on every event", l.Data)
						case !connected:
							r.fail("a %s event before connected", l.Event)
						case ev.EventType != l.Event:
							r.fail("a %s event whose data says event_type %q", l.Event, ev.EventType)
						case !ok || seq <= lastSeq:
							r.fail("a %s event with lastEventId %q after sequence %d: want increasing ids", l.Event, l.LastEventID, lastSeq)
						case l.Event == "state_changed" && (!strings.HasPrefix(ev.EntityID, "light.") || ev.NewState == nil || ev.NewState.State == ""):
							r.fail("state_changed %s: want a light (domain=light) with its new_state", l.Data)
						case l.Event == "call_service" && ev.Domain != "light":
							r.fail("call_service %s: want domain light", l.Data)
						case l.Event == "state_changed":
							changes++
						default:
							calls++
						}
						lastSeq = seq
					}
					return changes >= 3 && calls >= 1
				})
			})
		})
	}
}

// TestEventSourceTypeState: type=state (seed 3's spelling) passes state changes only.
func TestEventSourceTypeState(t *testing.T) {
	eachRuntime(t, func(t *testing.T, runtime string) {
		d := startDemo(t, []string{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOWED_ORIGINS=*"}, "--seed", "3", "--rate", "40")
		r := runClient(t, runtime, clientConfig{URL: d.base + "/subscribe_events", Streams: []streamSpec{{
			Name: "states", Params: map[string]string{"type": "state"},
		}}})
		var connected bool
		var events int
		r.until(func(l clientLine) bool {
			if l.Kind == "error" {
				r.fail("the stream failed")
			}
			if l.Kind != "event" {
				return false
			}
			switch ev := decodeEnvelope(t, l.Data); {
			case ev.Type == "connection":
				connected = true
			case ev.Type == "ping":
			case !connected || ev.Type != "state_changed":
				r.fail("event %s: want state_changed events after the connection event", l.Data)
			default:
				events++
			}
			return events >= 10
		})
	})
}

// TestEventSourceFilters: five streams from one client, each with domain and entity filters as
// the seeds write them; each sees only what its filter passes, and each sees events. The
// simulated home has light.living_room, light.kitchen and switch.coffee_machine.
func TestEventSourceFilters(t *testing.T) {
	domains := func(want ...string) func(envelope) bool {
		return func(ev envelope) bool { return slices.Contains(want, ev.Domain) }
	}
	entities := func(want ...string) func(envelope) bool {
		return func(ev envelope) bool {
			return slices.ContainsFunc(ev.entities(), func(id string) bool { return slices.Contains(want, id) })
		}
	}
	filters := []struct {
		params map[string]string
		passes func(envelope) bool
	}{
		{map[string]string{"domain": "light"}, domains("light")},
		{map[string]string{"domain": "light,switch,sensor"}, domains("light", "switch", "sensor")},
		{map[string]string{"entity_id": "light.living_room"}, entities("light.living_room")},
		{map[string]string{"entity_id": "light.kitchen,switch.coffee_machine"}, entities("light.kitchen", "switch.coffee_machine")},
		{ // seed 2's example request: an entity or a domain, and two event types
			map[string]string{"entity_id": "light.living_room", "domain": "switch", "events": "state_changed,automation_triggered"},
			func(ev envelope) bool {
				return (ev.Type == "state_changed" || ev.Type == "automation_triggered") &&
					(entities("light.living_room")(ev) || domains("switch")(ev))
			},
		},
	}
	eachRuntime(t, func(t *testing.T, runtime string) {
		d := startDemo(t, nil, "--seed", "3", "--rate", "100")
		cfg := clientConfig{URL: d.base + "/subscribe_events", Token: d.token}
		passes := map[string]func(envelope) bool{}
		for _, f := range filters {
			name := queryOf(f.params)
			cfg.Streams = append(cfg.Streams, streamSpec{Name: name, Params: f.params})
			passes[name] = f.passes
		}
		r := runClient(t, runtime, cfg)
		connected, events := map[string]bool{}, map[string]int{}
		r.until(func(l clientLine) bool {
			if l.Kind == "error" {
				r.fail("stream %s failed", l.Stream)
			}
			if l.Kind != "event" {
				return false
			}
			switch ev := decodeEnvelope(t, l.Data); {
			case ev.Type == "connection":
				connected[l.Stream] = true
			case ev.Type == "ping":
			case !connected[l.Stream]:
				r.fail("%s: event %s before the connection event", l.Stream, l.Data)
			case !passes[l.Stream](ev):
				r.fail("%s: event %s does not pass the filter", l.Stream, l.Data)
			default:
				events[l.Stream]++
			}
			for name := range passes {
				if events[name] < 2 {
					return false
				}
			}
			return true
		})
	})
}

// queryOf writes params as a query, in a fixed order, for a stream's name.
func queryOf(params map[string]string) string {
	var parts []string
	for _, k := range []string{"entity_id", "domain", "events"} {
		if v, ok := params[k]; ok {
			parts = append(parts, k+"="+v)
		}
	}
	return strings.Join(parts, "&")
}

// TestEventSourceWrongToken: a wrong token is refused with 401 before the stream opens; onerror
// fires each time, the client backs off 20, 40, 80 ms between its tries and then gives up, and no
// event arrives. Node's eventsource says the status; in Chromium the DevTools protocol shows it.
func TestEventSourceWrongToken(t *testing.T) {
	eachRuntime(t, func(t *testing.T, runtime string) {
		d := startDemo(t, nil, "--rate", "40")
		r := runClient(t, runtime, clientConfig{URL: d.base + "/subscribe_events", Token: "wrong", Streams: []streamSpec{{
			Name: "refused", Backoff: &backoffSpec{Initial: 20, Attempts: 3},
		}}})
		const tries = 4 // the first and three retries
		var errs, refusals int
		var gaveUp bool
		r.until(func(l clientLine) bool {
			switch l.Kind {
			case "open", "event":
				r.fail("with a wrong token the client saw %s", l.Kind)
			case "error":
				if errs++; runtime != "chromium" && l.Status != http.StatusUnauthorized {
					r.fail("error %d with status %d, want 401", errs, l.Status)
				}
			case "retry":
				if want := 20 << (errs - 1); l.Attempt != errs || l.Delay != want {
					r.fail("after error %d: retry %d in %d ms, want retry %d in %d ms", errs, l.Attempt, l.Delay, errs, want)
				}
			case "give_up":
				if errs != tries || l.Failures != tries-1 {
					r.fail("gave up after %d errors (%d failures counted), want %d errors", errs, l.Failures, tries)
				}
				gaveUp = true
			case "response":
				if refusals++; l.Status != http.StatusUnauthorized {
					r.fail("response %d: status %d, want 401", refusals, l.Status)
				}
			}
			return gaveUp && (runtime != "chromium" || refusals == tries)
		})
	})
}

// TestEventSourceResume: the client reads every event of the demo through a proxy that the test
// cuts three times at random moments. Each time onerror fires, the client waits its first backoff
// step and opens a new EventSource with last_event_id in the query; the gateway replays what it
// missed, so it sees every event id once, in sequence, across all four connections.
func TestEventSourceResume(t *testing.T) {
	eachRuntime(t, func(t *testing.T, runtime string) {
		d := startDemo(t, nil, "--rate", "40")
		proxy := startCutProxy(t, strings.TrimPrefix(d.base, "http://"))
		r := runClient(t, runtime, clientConfig{URL: "http://" + proxy.ln.Addr().String() + "/subscribe_events", Token: d.token,
			Streams: []streamSpec{{Name: "all", Backoff: &backoffSpec{Initial: 50, Attempts: 5}}}})

		seed := mrand.Uint64()
		rnd := mrand.New(mrand.NewPCG(seed, seed>>1))
		t.Logf("cut moments from seed %d", seed)
		const cuts, wantAfter = 3, 30
		var (
			cutAt                     <-chan time.Time
			cutN, opens, errs, resume int
			last                      string
			events, afterLastCut      int
		)
		for afterLastCut < wantAfter {
			l, ok := r.nextOr(cutAt)
			if !ok {
				cutAt = nil
				cutN++
				if n := proxy.cut(); n == 0 {
					r.fail("cut %d found no connection to close", cutN)
				}
				continue
			}
			switch l.Kind {
			case "open":
				if opens++; opens != cutN+1 {
					r.fail("open %d after %d cuts: the stream broke by itself", opens, cutN)
				}
				if cutN < cuts { // a random moment in the next 0.2–1.2 s of events
					cutAt = time.After(200*time.Millisecond + time.Duration(rnd.Int64N(int64(time.Second))))
				}
			case "error":
				if errs++; errs != cutN {
					r.fail("error %d after %d cuts: the stream broke by itself", errs, cutN)
				}
			case "retry":
				if l.Attempt != 1 || l.Delay != 50 || l.LastEventID != last {
					r.fail("retry %d in %d ms from %q, want the first, in 50 ms, from the last event %q", l.Attempt, l.Delay, l.LastEventID, last)
				}
			case "give_up":
				r.fail("the client gave up")
			case "event":
				ev := decodeEnvelope(t, l.Data)
				switch {
				case ev.Type == "connection":
					if ev.Resumed == nil || *ev.Resumed != (last != "") {
						r.fail("connection event %s after event %q: want resumed exactly when the client has an id to resume from", l.Data, last)
					}
					if *ev.Resumed {
						resume++
					}
				case ev.Type == "ping":
				case controlTypes[ev.Type]:
					r.fail("a %s event: want none on a stream that resumes", ev.Type)
				case last != "" && !follows(last, ev.ID):
					r.fail("event %s after %s: want every event once, in order", ev.ID, last)
				default:
					last = ev.ID
					events++
					if opens == cuts+1 {
						afterLastCut++
					}
				}
			}
		}
		if opens != cuts+1 || errs != cuts || resume != cuts {
			t.Errorf("%s: %d opens, %d errors and %d resumed connection events, want %d, %d and %d", runtime, opens, errs, resume, cuts+1, cuts, cuts)
		}
		t.Logf("%s: %d events in sequence over %d connections, the last %s", runtime, events, cuts+1, last)
	})
}

// TestBrowserCORSRequired: the same client on a page from another origin, with CORS off at the
// gateway, and under auth none with no origins configured (the default; the gateway refuses other
// origins): Chromium gets no stream, so onerror fires and nothing arrives. With CORS on (every
// Chromium run above) the page gets its events, and each response's header allows the page's
// origin.
func TestBrowserCORSRequired(t *testing.T) {
	for _, environ := range [][]string{
		{"MCP_SSE_AUTH=none", "MCP_HTTP_ALLOW_CORS=false"},
		{"MCP_SSE_AUTH=none"},
	} {
		d := startDemo(t, environ, "--rate", "40")
		r := runClient(t, "chromium", clientConfig{URL: d.base + "/subscribe_events", Streams: []streamSpec{{
			Name: "refused", Backoff: &backoffSpec{Initial: 20, Attempts: 0},
		}}})
		var corsRefused, gaveUp bool
		r.until(func(l clientLine) bool {
			switch l.Kind {
			case "open", "event", "response":
				r.fail("%v: the page saw %s", environ, l.Kind)
			case "failed":
				corsRefused = corsRefused || l.CORSError != ""
			case "give_up":
				gaveUp = true
			}
			return corsRefused && gaveUp
		})
		_ = d.stop()
	}
}
