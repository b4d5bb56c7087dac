package mcpapi

import (
	"context"
	"encoding/json"
	"errors"
	"net/url"
	"strconv"

	"github.com/modelcontextprotocol/go-sdk/mcp"

	"hasse/internal/hass"
)

// StateInput is the input of get_entity_state.
type StateInput struct {
	EntityID string `json:"entity_id" jsonschema:"the entity's id, like light.kitchen"`
}

// EntityState is the output of get_entity_state: Home Assistant's state object (sanitised as
// every event is, SPEC.md §5.3), and the entity's place from Home Assistant's registries.
type EntityState struct {
	EntityID     string          `json:"entity_id"`
	State        string          `json:"state"`
	Attributes   json.RawMessage `json:"attributes"`
	LastChanged  string          `json:"last_changed"`
	LastReported string          `json:"last_reported,omitempty"`
	LastUpdated  string          `json:"last_updated"`
	Context      json.RawMessage `json:"context,omitempty"`
	Area         string          `json:"area,omitempty" jsonschema:"the id of the entity's area (its own, or its device's)"`
	AreaName     string          `json:"area_name,omitempty"`
	Labels       []string        `json:"labels,omitempty" jsonschema:"the entity's label ids"`
}

func (s *Server) addStateTool(srv *mcp.Server) {
	mcp.AddTool(srv, &mcp.Tool{
		Name:         "get_entity_state",
		Description:  "An entity's current state as Home Assistant reports it (state, attributes, last_changed, …), with its area and labels.",
		Annotations:  readOnly,
		InputSchema:  schemaFor[StateInput](nil),
		OutputSchema: schemaFor[EntityState](nil),
	}, s.entityState)
}

func (s *Server) entityState(ctx context.Context, _ *mcp.CallToolRequest, in StateInput) (*mcp.CallToolResult, EntityState, error) {
	u, err := userOf(ctx)
	if err != nil {
		return nil, EntityState{}, err
	}
	f, err := s.parseFilter(u, url.Values{"entity_id": {in.EntityID}})
	if err != nil {
		return nil, EntityState{}, err
	}
	if len(f.Entities) != 1 || len(f.EntityGlobs) > 0 {
		return nil, EntityState{}, errors.New(`invalid parameter "entity_id": one entity id, like light.kitchen`)
	}
	id := f.Entities[0]
	// One answer for an entity Home Assistant does not know and one the token may not see: a
	// different answer would tell a scoped token which entity ids exist beyond its scope.
	st, ok := s.hub.State(ctx, id)
	if !ok || !u.Scope.Allows(stateProbe(st)) {
		return nil, EntityState{}, errors.New("no entity " + strconv.Quote(id) + " that this token may see is known to Home Assistant")
	}
	if !take(ctx, len(st.JSON)) {
		return nil, EntityState{}, errors.New("the answers of this request are at their size bound; ask for " + strconv.Quote(id) + " in a request of its own")
	}
	var out EntityState
	if err := json.Unmarshal(st.JSON, &out); err != nil {
		return nil, EntityState{}, err
	}
	if out.Attributes == nil {
		out.Attributes = json.RawMessage("{}")
	}
	out.Area, out.AreaName, out.Labels = st.Area, st.AreaName, st.Labels
	return nil, out, nil
}

// stateProbe is the state_changed event that would leave an entity in st: what a filter or a
// scope is asked about a state, as the SSE endpoint's snapshot asks it.
func stateProbe(st hass.State) *hass.Event {
	return &hass.Event{Type: hass.TypeStateChanged, EntityID: st.EntityID, Domain: st.Domain,
		Entities: []string{st.EntityID}, State: st.State, StateChanged: true, DeviceClass: st.DeviceClass,
		Area: st.Area, AreaName: st.AreaName, Labels: st.Labels}
}
