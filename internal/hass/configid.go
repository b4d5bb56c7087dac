package hass

// Home Assistant's automation_id is an automation's configuration id, which only the automation's
// state tells: its id attribute (HA-PROTOCOL.md §19). Each session keeps the ids of the
// automations it has seen states of, from get_states and state_changed, in its reader goroutine.

// noteAutomation keeps the configuration id the state st (HA's state object, nil on removal)
// gives automation entityID.
func (s *session) noteAutomation(entityID string, st []byte) {
	id := automationConfigID(st)
	if id == "" {
		delete(s.automationIDs, entityID)
		return
	}
	if s.automationIDs == nil {
		s.automationIDs = make(map[string]string)
	}
	s.automationIDs[entityID] = id
}

// automationConfigID returns attributes.id of state object st, "" when it has none.
func automationConfigID(st []byte) string {
	if len(st) == 0 || st[0] != '{' {
		return ""
	}
	for m := walk(st); ; {
		key, ok := m.key()
		if !ok {
			return ""
		}
		if string(key) != "attributes" {
			continue
		}
		a := walkAt(st, m.at())
		for key, ok := a.key(); ok; key, ok = a.key() {
			if string(key) == "id" {
				id, _ := str(a.value())
				return id
			}
		}
		return ""
	}
}

// annotate completes an event the reader read: its area and labels from the registries, the
// configuration id of an automation_triggered event; and an automation's state_changed updates
// the id kept for it.
func (s *session) annotate(ev *Event) {
	s.c.registry.Load().annotate(ev)
	switch {
	case ev.Type == TypeStateChanged && ev.Domain == "automation":
		s.noteAutomation(ev.EntityID, ev.NewState)
	case ev.Type == TypeAutomationTriggered:
		ev.ConfigID = s.automationIDs[ev.EntityID]
	}
}

// annotateState completes a state of get_states as annotate does an event.
func (s *session) annotateState(st *State) {
	if reg := s.c.registry.Load(); reg != nil {
		st.Area, st.AreaName, st.Labels = reg.place(st.EntityID)
	}
	if st.Domain == "automation" {
		s.noteAutomation(st.EntityID, st.JSON)
	}
}
