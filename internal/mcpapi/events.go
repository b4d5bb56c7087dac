package mcpapi

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"slices"

	"github.com/google/jsonschema-go/jsonschema"
	"github.com/modelcontextprotocol/go-sdk/mcp"

	"hasse/internal/auth"
	"hasse/internal/filter"
	"hasse/internal/format"
)

// EventsInput is the input of get_recent_events: the filters of the SSE endpoint (SPEC.md §4.1),
// read by the same parser and matched by the same rule, and how many events to return. Each
// list item may itself be a comma list.
type EventsInput struct {
	EventTypes  []string `json:"event_types,omitempty" jsonschema:"event types or patterns: state_changed, call_service (alias service_called), automation_triggered, script_started (alias script_executed), automation_*, or any type Home Assistant fires"`
	EntityID    []string `json:"entity_id,omitempty" jsonschema:"entity ids or patterns (light.kitchen, sensor.*_temperature); an event passes when it names one of them or its domain is in domain"`
	Domain      []string `json:"domain,omitempty" jsonschema:"domains or patterns (light, sensor*)"`
	Area        []string `json:"area,omitempty" jsonschema:"area ids or names: only events of entities in these areas (their own, or their device's)"`
	Label       []string `json:"label,omitempty" jsonschema:"label ids: only events of entities with one of these labels"`
	DeviceClass []string `json:"device_class,omitempty" jsonschema:"device classes: temperature, humidity, power, motion, door, …"`
	Changes     string   `json:"changes,omitempty" jsonschema:"state: leave out state_changed events where only attributes changed"`
	Limit       int      `json:"limit,omitempty" jsonschema:"the most events to return, the newest that match; default 100"`
}

// EventsOutput is the output of get_recent_events.
type EventsOutput struct {
	Events []Event `json:"events" jsonschema:"the newest matching events, oldest first"`
	Since  string  `json:"since,omitempty" jsonschema:"when the oldest event the gateway still holds was fired: nothing older can be returned; absent when it holds none"`
	// Truncated says that older matching events were left out: an answer holds at most 1 MiB of
	// events (the calls of one request together).
	Truncated bool `json:"truncated,omitempty" jsonschema:"true when older matching events were left out to keep the answer within its size bound (1 MiB of events per request); ask for fewer or narrower"`
}

// Event is one event as the SSE endpoint's envelope format sends it (SPEC.md §4.3).
type Event struct {
	ID        string          `json:"id" jsonschema:"the event's id, which the SSE endpoint takes as Last-Event-ID to resume after it"`
	Type      string          `json:"type" jsonschema:"state_changed, service_called, automation_triggered, script_executed, or the type Home Assistant gave"`
	Origin    string          `json:"origin,omitempty" jsonschema:"resync for a state the gateway made up after a lost connection to Home Assistant"`
	EntityID  string          `json:"entity_id,omitempty"`
	Domain    string          `json:"domain,omitempty"`
	State     *string         `json:"state,omitempty" jsonschema:"the new state of a state_changed event; absent when the entity was removed"`
	Data      json.RawMessage `json:"data" jsonschema:"the event's data: for state_changed the new state object with old_state added, else Home Assistant's event data"`
	Timestamp string          `json:"timestamp" jsonschema:"when Home Assistant fired the event"`
}

// filterParams maps the inputs of EventsInput to the parameters of filter.Parse.
func (in EventsInput) filterParams() url.Values {
	v := url.Values{
		"event_types":  in.EventTypes,
		"entity_id":    in.EntityID,
		"domain":       in.Domain,
		"area":         in.Area,
		"label":        in.Label,
		"device_class": in.DeviceClass,
	}
	if in.Changes != "" {
		v.Set("changes", in.Changes)
	}
	return v
}

func (s *Server) addEventTools(srv *mcp.Server) {
	mcp.AddTool(srv, &mcp.Tool{
		Name: "get_recent_events",
		Description: "The newest Home Assistant events the gateway still holds (state changes, service calls, automations, scripts, …), " +
			"filtered as hasse's SSE endpoint filters: an event passes when its type is in event_types (if given) and it names an entity of entity_id " +
			"or its domain is in domain (if either is given), and it fits area, label, device_class and changes (each if given). " +
			"A user sees only the events their token may see.",
		Annotations: readOnly,
		InputSchema: schemaFor[EventsInput](func(p map[string]*jsonschema.Schema) {
			bounded(p["limit"], 1, 1000)
			p["changes"].Enum = []any{"state"}
		}),
		OutputSchema: schemaFor[EventsOutput](nil),
	}, s.recentEvents)
}

func (s *Server) recentEvents(ctx context.Context, _ *mcp.CallToolRequest, in EventsInput) (*mcp.CallToolResult, EventsOutput, error) {
	u, err := userOf(ctx)
	if err != nil {
		return nil, EventsOutput{}, err
	}
	f, err := s.parseFilter(u, in.filterParams())
	if err != nil {
		return nil, EventsOutput{}, err
	}
	limit := cmp.Or(in.Limit, 100)
	frames := s.hub.Recent(ctx)
	out := EventsOutput{Events: []Event{}}
	if len(frames) > 0 {
		out.Since = frames[0].Event.TimeFired
	}
	for i := len(frames) - 1; i >= 0 && len(out.Events) < limit; i-- {
		if ev := frames[i].Event; !f.Match(ev) || !u.Scope.Allows(ev) {
			continue
		}
		data := format.AppendEnvelope(nil, frames[i].Event)
		if !take(ctx, len(data)) {
			out.Truncated = true
			break
		}
		var e Event
		if err := json.Unmarshal(data, &e); err != nil {
			return nil, EventsOutput{}, err
		}
		out.Events = append(out.Events, e)
	}
	slices.Reverse(out.Events)
	return nil, out, nil
}

// parseFilter reads the filter parameters v as the SSE endpoint does, and refuses what it
// refuses (see filter.ParseWithin).
func (s *Server) parseFilter(u auth.User, v url.Values) (*filter.Filter, error) {
	f, err := filter.ParseWithin(v, u.Scope, s.registryProblem)
	if se := (*filter.ScopeError)(nil); errors.As(err, &se) && se.Param == "events" {
		se.Param = "event_types" // MCP's name for the SSE endpoint's events
	}
	return f, err
}

func (s *Server) registryProblem() string {
	if s.cfg.Registry == nil {
		return ""
	}
	return s.cfg.Registry()
}
