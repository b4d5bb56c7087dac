package simulator

import (
	"maps"
	"slices"
	"strconv"
	"time"
)

// This file is subscribe_entities (HA-PROTOCOL.md §13): the full snapshot of compressed states,
// then one compressed diff per state_changed, as HA's as_compressed_state and _state_diff_event
// write them.

// epoch is a time as the compressed format writes it: float seconds since the Unix epoch.
func epoch(t time.Time) float64 {
	return float64(t.UnixMicro()) / 1e6
}

// compressedContext is a context as the compressed format writes it: the bare id when it has no
// parent and no user, else the whole context.
func compressedContext(c Context) any {
	if c.ParentID == "" && c.UserID == "" {
		return c.ID
	}
	return c
}

// compressed is a state in the compressed format: s, a, c, lc, and lu only when last_updated
// differs from last_changed. It has no last_reported.
func (s *State) compressed() object {
	attrs := s.Attributes
	if attrs == nil {
		attrs = map[string]any{}
	}
	o := object{{"s", s.State}, {"a", attrs}, {"c", compressedContext(s.Context)}, {"lc", epoch(s.LastChanged)}}
	if !s.LastUpdated.Equal(s.LastChanged) {
		o = append(o, member{"lu", epoch(s.LastUpdated)})
	}
	return o
}

// compressed is a state_changed event as subscribe_entities sends it: {"a":{id:state}} on
// creation, {"r":[id]} on removal, else {"c":{id:diff}} where the diff's "+" holds what changed
// (s; lc, or lu when only attributes changed; c; a with added or changed attributes) and "-"
// names removed attributes.
func (ch *stateChange) compressed() object {
	switch {
	case ch.new == nil:
		return object{{"r", []any{ch.entityID}}}
	case ch.old == nil:
		return object{{"a", object{{ch.entityID, ch.new.compressed()}}}}
	}
	old, cur := ch.old, ch.new
	add := object{}
	if old.State != cur.State {
		add = append(add, member{"s", cur.State})
	}
	if !old.LastChanged.Equal(cur.LastChanged) {
		add = append(add, member{"lc", epoch(cur.LastChanged)})
	} else if !old.LastUpdated.Equal(cur.LastUpdated) {
		add = append(add, member{"lu", epoch(cur.LastUpdated)})
	}
	if c := contextDiff(old.Context, cur.Context); c != nil {
		add = append(add, member{"c", c})
	}
	diff := object{{"+", add}}
	if !equalValues(old.Attributes, cur.Attributes) {
		changed := map[string]any{}
		for k, v := range cur.Attributes {
			if was, ok := old.Attributes[k]; !ok || !equalValues(was, v) {
				changed[k] = v
			}
		}
		if len(changed) > 0 {
			diff[0].val = append(add, member{"a", changed})
		}
		var removed []any
		for _, k := range slices.Sorted(maps.Keys(old.Attributes)) {
			if _, ok := cur.Attributes[k]; !ok {
				removed = append(removed, k)
			}
		}
		if removed != nil {
			diff = append(diff, member{"-", object{{"a", removed}}})
		}
	}
	return object{{"c", object{{ch.entityID, diff}}}}
}

// contextDiff is the "c" of a diff: nil when the context is the same; the bare new id when only
// the id changed; else an object of the changed parent_id and user_id, and the id if it changed.
func contextDiff(old, cur Context) any {
	var o object
	if old.ParentID != cur.ParentID {
		o = append(o, member{"parent_id", nullable(cur.ParentID)})
	}
	if old.UserID != cur.UserID {
		o = append(o, member{"user_id", nullable(cur.UserID)})
	}
	switch {
	case old.ID == cur.ID && o == nil:
		return nil
	case o == nil:
		return cur.ID
	case old.ID != cur.ID:
		o = append(o, member{"id", cur.ID})
	}
	return o
}

// handleSubscribeEntities subscribes to compressed states: the result, then at once the snapshot
// of every state (or those in entity_ids), then a diff per change. Nothing can fall between
// snapshot and diffs: both happen within this turn of Run's goroutine.
func handleSubscribeEntities(h *home, c *conn, id int64, m map[string]any) error {
	s := &subscription{c: c, id: id, eventType: "state_changed", entities: true}
	if v, ok := m["entity_ids"]; ok {
		if ids, _ := entityIDList(v, false); len(ids) > 0 { // [] is no filter, as in HA
			s.ids = set(targetStrings(ids))
		}
	}
	c.subs[id] = s
	h.bus.add(s)
	h.send(c, resultMessage(id, nil))

	b := append([]byte(`{"id":`), strconv.FormatInt(id, 10)...)
	b = append(b, `,"type":"event","event":{"a":{`...)
	first := true
	for _, eid := range h.sortedEntityIDs() {
		if s.ids != nil && !s.ids[eid] {
			continue
		}
		if !first {
			b = append(b, ',')
		}
		first = false
		st := h.states[eid]
		b = appendString(b, eid)
		b = append(b, ':')
		b = appendJSON(b, st.compressed())
	}
	h.send(c, append(b, "}}}"...))
	return nil
}
