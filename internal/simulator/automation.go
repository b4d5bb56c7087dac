package simulator

import "maps"

// runTriggered runs the automations whose state trigger the change from prev to ns fires: a state
// trigger with "to" fires when the state becomes that value, not on attribute changes.
func (h *home) runTriggered(prev *State, ns State) {
	if prev == nil || prev.State == ns.State {
		return
	}
	for _, a := range h.automations[ns.EntityID] {
		if a.trigger.to == ns.State && h.states[a.id].State == "on" {
			h.runAutomation(a, ns.Context, "state of "+a.trigger.entity)
		}
	}
}

// runAutomation runs an automation as HA does (HA-PROTOCOL.md §16): a new context whose parent is
// the trigger's, automation_triggered (with source, the trigger's description, unless it is ""),
// the automation's own state (last_triggered, current 1), its actions' call_service and
// state_changed events, and its state again when the run ends (current 0), all in that context.
func (h *home) runAutomation(a *automationSpec, trigger Context, source string) {
	if h.running[a.id] {
		h.log.Debug("automation already running", "entity_id", a.id)
		return
	}
	h.running[a.id] = true
	defer delete(h.running, a.id)

	ctx := h.newContext(trigger.ID, "")
	now := h.now()
	data := object{{"name", a.name}, {"entity_id", a.id}}
	if source != "" {
		data = append(data, member{"source", source})
	}
	h.fire("automation_triggered", data, ctx, now)
	h.writeAttrs(a.id, map[string]any{"last_triggered": isoformat(now), "current": 1}, ctx)
	h.runActions(a.actions, ctx)
	h.writeAttrs(a.id, map[string]any{"current": 0}, ctx)
}

// runScript runs a script in its caller's context: script_started, the script on (current 1), its
// actions, the script off again.
func (h *home) runScript(sc *scriptSpec, ctx Context) {
	if h.running[sc.id] {
		h.log.Debug("script already running", "entity_id", sc.id)
		return
	}
	h.running[sc.id] = true
	defer delete(h.running, sc.id)

	now := h.now()
	h.fire("script_started", object{{"name", sc.name}, {"entity_id", sc.id}}, ctx, now)
	h.write(sc.id, "on", scriptAttrs(sc, isoformat(now), 1), ctx)
	h.runActions(sc.actions, ctx)
	h.write(sc.id, "off", scriptAttrs(sc, isoformat(now), 0), ctx)
}

// runActions calls each action's service in ctx.
func (h *home) runActions(actions []action, ctx Context) {
	for _, act := range actions {
		data := maps.Clone(act.data)
		if data == nil {
			data = map[string]any{}
		}
		data["entity_id"] = toAny(act.entities) // HA's service helper merges the target as a list
		if err := h.callService(act.domain, act.service, data, ctx); err != nil {
			h.log.Warn("action failed", "domain", act.domain, "service", act.service, "err", err)
		}
	}
}
