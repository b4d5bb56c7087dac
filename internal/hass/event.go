package hass

import (
	"encoding/json"
	"time"
)

// MaxEntityIDBytes is the longest entity id Home Assistant holds (its MAX_LENGTH_STATE_ENTITY_ID).
// A longer name in an event's data (a service call's entity_id can be any string a user sends) is
// not indexed or matched as an entity: filters never look at it.
const MaxEntityIDBytes = 255

// Event is one Home Assistant event after ingest: normalised, sanitised (SPEC.md §5.3) and
// annotated with what the filters of SPEC.md §4.1 look at. Once published to the hub an Event is
// shared by every subscriber and must not be modified.
type Event struct {
	// ID is the gateway's event id, "<epoch>-<sequence>" (SPEC.md §4.5). The hub (or, with Redis,
	// the stream) sets it before the event is dispatched; it is empty before that.
	ID string

	// Type is HA's event_type ("state_changed", "call_service", …): the canonical name.
	Type string
	// Data is HA's event data, a compact JSON object on one line, after sanitising.
	Data json.RawMessage
	// Origin is HA's origin ("LOCAL" or "REMOTE"), or OriginResync for events made by a resync.
	Origin string
	// TimeFired is HA's time_fired, verbatim (ISO 8601 with an offset).
	TimeFired string
	// Context is HA's context object {"id","parent_id","user_id"}, compact JSON.
	Context json.RawMessage

	// EntityID is the entity the event is about: data.entity_id, or the entity of new_state or
	// old_state, or the only entity a call_service targets. Empty when there is none.
	EntityID string
	// Domain is EntityID's domain, or data.domain for call_service. Empty when there is none.
	Domain string
	// Entities lists every entity the event concerns: EntityID, or for call_service every entity
	// in service_data.entity_id and service_data.target.entity_id, then those its target reaches
	// by area, device, floor or label or entity_id all (resolved at ingest through the
	// registries, by package halink). Nil when there is none. Names longer than MaxEntityIDBytes
	// are no entity ids and are left out.
	Entities []string

	// OldState and NewState are data.old_state and data.new_state of a state_changed event,
	// compact JSON, nil when absent or null.
	OldState, NewState json.RawMessage
	// State is new_state.state of a state_changed event ("" when new_state is null).
	State string
	// StateChanged reports, for state_changed, that old_state.state differs from new_state.state
	// (creation and removal count as changes); false when only attributes changed.
	StateChanged bool
	// DeviceClass is attributes.device_class of new_state (or old_state on removal), if any.
	DeviceClass string
	// Area and AreaName are the id and name of the entity's area (its own, or its device's), and
	// Labels its labels, sorted, from Home Assistant's registries; empty when unknown. For a
	// call_service, Labels are those its target names and those of all its Entities.
	Area, AreaName string
	Labels         []string
	// Areas lists, for a call_service, every area it concerns, sorted by id: those its target
	// names by area, floor or label, those of the devices it names, and those of its Entities.
	Areas []AreaRef

	// ConfigID is, for automation_triggered, the automation's configuration id (the id attribute
	// of its state, "1718011223344"; empty when its configuration gives none), and for
	// script_started the script's id, its object id ("good_night" for script.good_night): what
	// Home Assistant means by automation_id and script_id (HA-PROTOCOL.md §19).
	ConfigID string

	// Received is when hasse read the frame that carried the event, for delivery latency.
	Received time.Time
}

// AreaRef names an area of Home Assistant's area registry.
type AreaRef struct {
	ID, Name string
}

// OriginResync marks events the gateway made itself to bring subscribers back to Home
// Assistant's true state after an outage (SPEC.md §2).
const OriginResync = "resync"
