// Package hajson builds Home Assistant's JSON (HA-PROTOCOL.md §7, §11) from parts, for the tests
// of the packages that read it: a state object, a state_changed event's data, an event object.
// The parts are plain text, so that a test states exactly the bytes Home Assistant sends.
package hajson

// Contexts and a time as Home Assistant writes them.
const (
	CtxUser = `{"id":"01JPB3ZK7V1X3Z5B7D9F1H3K5M","parent_id":null,"user_id":"4f2b9c1e0d3a47b8a6c5e9f102938475"}` // a user's action
	CtxNone = `{"id":"01JPAWZ3RQ0M4B6N8C2D5F7G9H","parent_id":null,"user_id":null}`                               // no user's
	Fired   = "2025-03-14T09:31:40.120567+00:00"                                                                  // every Event's time_fired
)

// State returns a full state object; at is its last_changed, last_reported and last_updated.
func State(entityID, state, attrs, at, ctx string) string {
	return `{"entity_id":"` + entityID + `","state":"` + state + `","attributes":` + attrs +
		`,"last_changed":"` + at + `","last_reported":"` + at + `","last_updated":"` + at + `","context":` + ctx + `}`
}

// ChangedData returns the data of a state_changed event; oldState and newState are state
// objects or null.
func ChangedData(entityID, oldState, newState string) string {
	return `{"entity_id":"` + entityID + `","old_state":` + oldState + `,"new_state":` + newState + `}`
}

// Event returns the event object Home Assistant sends inside an event message, fired at Fired.
func Event(typ, data, ctx string) string {
	return `{"event_type":"` + typ + `","data":` + data + `,"origin":"LOCAL","time_fired":"` + Fired + `","context":` + ctx + `}`
}
