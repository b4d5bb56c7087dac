package halink

import (
	"maps"

	"hasse/internal/hass"
	"hasse/internal/hass/jsonscan"
)

// seen is what a session's reader has learnt from the states it read (get_states, then
// state_changed): the entities of each domain, which entity_id: all reaches (target.go), and each
// automation's configuration id, which Home Assistant's automation_id means and only the
// automation's state tells, as its id attribute (HA-PROTOCOL.md §19). Only the reader uses it.
type seen struct {
	domains       map[string]map[string]struct{} // domain → its entities
	automationIDs map[string]string              // automation entity id → configuration id
}

// add notes that entity id exists, its state st (HA's state object).
func (sn *seen) add(id string, st []byte) {
	domain := hass.DomainOf(id)
	if domain == "" {
		return
	}
	if sn.domains == nil {
		sn.domains = make(map[string]map[string]struct{})
	}
	if sn.domains[domain] == nil {
		sn.domains[domain] = make(map[string]struct{})
	}
	sn.domains[domain][id] = struct{}{}
	if domain == "automation" {
		sn.noteAutomation(id, st)
	}
}

// remove notes that entity id was removed.
func (sn *seen) remove(id string) {
	delete(sn.domains[hass.DomainOf(id)], id)
	delete(sn.automationIDs, id)
}

// appendEntities appends the entities of domain seen to dst, in no order.
func (sn *seen) appendEntities(dst []string, domain string) []string {
	for id := range maps.Keys(sn.domains[domain]) {
		dst = append(dst, id)
	}
	return dst
}

// noteAutomation keeps the configuration id the state st gives automation entityID.
func (sn *seen) noteAutomation(entityID string, st []byte) {
	id := automationConfigID(st)
	if id == "" {
		delete(sn.automationIDs, entityID)
		return
	}
	if sn.automationIDs == nil {
		sn.automationIDs = make(map[string]string)
	}
	sn.automationIDs[entityID] = id
}

// automationConfigID returns attributes.id of state object st, "" when it has none.
func automationConfigID(st []byte) string {
	if len(st) == 0 || st[0] != '{' {
		return ""
	}
	for m := jsonscan.Walk(st); ; {
		key, ok := m.Key()
		if !ok {
			return ""
		}
		if string(key) != "attributes" {
			continue
		}
		a := jsonscan.WalkAt(st, m.At())
		for key, ok := a.Key(); ok; key, ok = a.Key() {
			if string(key) == "id" {
				id, _ := jsonscan.Unquote(a.Value())
				return id
			}
		}
		return ""
	}
}

// annotate completes an event the reader read: its area and labels from the registries, the
// configuration id of an automation_triggered event, and what a call_service's target reaches
// (target.go); a state_changed updates what the session has seen.
func (s *session) annotate(ev *hass.Event) {
	reg := s.c.registries.current()
	reg.annotate(ev)
	switch ev.Type {
	case hass.TypeStateChanged:
		switch {
		case ev.EntityID == "":
		case ev.NewState == nil:
			s.seen.remove(ev.EntityID)
		case ev.OldState == nil || ev.Domain == "automation":
			s.seen.add(ev.EntityID, ev.NewState)
		}
	case hass.TypeAutomationTriggered:
		ev.ConfigID = s.seen.automationIDs[ev.EntityID]
	case hass.TypeCallService:
		resolveCall(ev, reg, &s.seen)
	}
}

// annotateState completes a state of get_states as annotate does an event.
func (s *session) annotateState(st *hass.State) {
	if reg := s.c.registries.current(); reg != nil {
		st.Area, st.AreaName, st.Labels = reg.place(st.EntityID)
	}
	s.seen.add(st.EntityID, st.JSON)
}
