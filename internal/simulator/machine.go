package simulator

import (
	"hasse/internal/hastamp"
	"log/slog"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// home is the simulated Home Assistant's core: state machine, event bus, connections' command
// state, automations and the randomness of activity. It belongs to Run's goroutine alone.
type home struct {
	sim      *Simulator
	log      *slog.Logger
	commands map[string]command
	services map[string]map[string]*serviceDef
	spec     homeSpec
	shape    shape     // what this version of Home Assistant sends (Config.Version)
	reg      *registry // areas, devices and the entity registry

	states   map[string]State
	bus      bus
	conns    map[*conn]struct{}
	flushing []*conn // connections with messages queued this turn

	rng *rand.Rand // activity: seeded, so a seed replays the same home
	ids *rand.Rand // context ids: differ on every run

	lights      map[string]*lightSpec
	media       map[string]*mediaPlayer
	cameras     map[string]*cameraSpec
	automations map[string][]*automationSpec // by the entity that triggers them
	scripts     map[string]*scriptSpec
	running     map[string]bool // automations and scripts now running (mode single)
	last        time.Time       // the last time now returned
	components  []string
	oversize    int      // pad the next event message to this many bytes (SendOversized); 0 = off
	restarts    int      // restarts so far (Restart)
	boot        *startup // a staged start in progress (restart.go); nil while running
}

// mediaPlayer is what a media player is doing, beyond its state.
type mediaPlayer struct {
	spec   *mediaSpec
	track  int // index into homeSpec.tracks
	volume float64
	source string
	token  string // for its entity_picture
}

// newHome builds the built-in home as it stands at start: every entity with a believable past.
// identity draws what is fixed at start (tokens, past times), activity what happens later, ids
// the context ids.
func newHome(s *Simulator, start time.Time, identity, activity, ids *rand.Rand) *home {
	h := &home{
		sim:         s,
		log:         s.log,
		commands:    commands(),
		spec:        builtinHome(),
		shape:       shapeOf(s.cfg.Version),
		states:      make(map[string]State),
		conns:       make(map[*conn]struct{}),
		rng:         activity,
		ids:         ids,
		lights:      make(map[string]*lightSpec),
		media:       make(map[string]*mediaPlayer),
		cameras:     make(map[string]*cameraSpec),
		automations: make(map[string][]*automationSpec),
		scripts:     make(map[string]*scriptSpec),
		running:     make(map[string]bool),
	}
	maps.Copy(h.commands, registryCommands(h.shape))
	start = start.UTC().Truncate(time.Microsecond)
	past := func() time.Time { // a moment in the last six hours
		return start.Add(-time.Duration(identity.Int64N(int64(6 * time.Hour)))).Truncate(time.Microsecond)
	}
	put := func(id, state string, attrs map[string]any) {
		at := past()
		h.states[id] = State{EntityID: id, State: state, Attributes: attrs, LastChanged: at, LastReported: at,
			LastUpdated: at, Context: Context{ID: hastamp.ULID(at, ids)}}
	}
	sp := &h.spec
	for i := range sp.lights {
		l := &sp.lights[i]
		h.lights[l.id] = l
		put(l.id, onOff(l.on), l.attrs(l.on, l.brightness, l.kelvin))
	}
	for i := range sp.media {
		m := &mediaPlayer{spec: &sp.media[i], volume: 0.35, source: sp.media[i].sources[len(sp.media[i].sources)-1], token: hexID(identity, 32)}
		h.media[m.spec.id] = m
		put(m.spec.id, m.spec.state, m.spec.attrs(m.spec.state, sp.tracks[0], 61, m.volume, m.source, start, m.token))
	}
	for i := range sp.cameras {
		c := &sp.cameras[i]
		h.cameras[c.id] = c
		put(c.id, c.state, c.attrs(hexID(identity, 32)))
	}
	for _, p := range sp.persons {
		put(p.id, p.state, p.attrs(s.users[p.user].id, p.state == "home"))
	}
	for _, e := range sp.entities {
		put(e.id, e.state, cloneValue(e.attrs).(map[string]any))
	}
	for i := range sp.automations {
		a := &sp.automations[i]
		h.automations[a.trigger.entity] = append(h.automations[a.trigger.entity], a)
		put(a.id, onOff(a.enabled), automationAttrs(a, isoformat(past()), 0))
	}
	for i := range sp.scripts {
		sc := &sp.scripts[i]
		h.scripts[sc.id] = sc
		put(sc.id, "off", scriptAttrs(sc, "", 0))
	}
	state, attrs := sunAttrs(start)
	put("sun.sun", state, attrs)
	h.services = serviceRegistry(h.spec.scripts)
	h.reg = newRegistry(h, start, identity)

	domains := baseComponents()
	for id := range h.states {
		domains = append(domains, domainOf(id))
	}
	slices.Sort(domains)
	h.components = slices.Compact(domains)
	return h
}

// onOff is HA's state for a boolean.
func onOff(on bool) string {
	if on {
		return "on"
	}
	return "off"
}

// domainOf is the domain of an entity id: "light" for "light.kitchen".
func domainOf(entityID string) string {
	d, _, _ := strings.Cut(entityID, ".")
	return d
}

// validEntityID reports whether id is a valid entity id: "<domain>.<object_id>", both lowercase
// letters, digits and single underscores, neither starting nor ending with one.
func validEntityID(id string) bool {
	domain, object, ok := strings.Cut(id, ".")
	return ok && validSlug(domain) && validSlug(object)
}

func validSlug(s string) bool {
	if s == "" || s[0] == '_' || s[len(s)-1] == '_' || strings.Contains(s, "__") {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= '0' && r <= '9' || r == '_') {
			return false
		}
	}
	return true
}

// now is the time of a write or event: UTC, microsecond precision, as Python keeps it, and
// always after the one before, so that every write is ordered in time.
func (h *home) now() time.Time {
	t := time.Now().UTC().Truncate(time.Microsecond)
	if !t.After(h.last) {
		t = h.last.Add(time.Microsecond)
	}
	h.last = t
	return t
}

// newContext returns a context with a fresh ULID.
func (h *home) newContext(parentID, userID string) Context {
	return Context{ID: hastamp.ULID(h.now(), h.ids), ParentID: parentID, UserID: userID}
}

// write sets an entity's state as HA's StateMachine.async_set does (HA-PROTOCOL.md §7) and runs
// the automations the change triggers.
func (h *home) write(entityID, state string, attrs map[string]any, ctx Context) {
	if !validEntityID(entityID) || len(state) > 255 {
		h.log.Warn("invalid state write ignored", "entity_id", entityID)
		return
	}
	if attrs == nil {
		attrs = map[string]any{}
	}
	now := h.now()
	old, existed := h.states[entityID]
	if existed && old.State == state && equalValues(old.Attributes, attrs) {
		old.LastReported = now // HA fires state_reported, which no WebSocket client can receive
		h.states[entityID] = old
		return
	}
	ns := State{EntityID: entityID, State: state, Attributes: attrs, LastChanged: now, LastReported: now,
		LastUpdated: now, Context: ctx}
	var prev *State
	if existed {
		prev = &old
		if old.State == state {
			ns.LastChanged = old.LastChanged
		}
	}
	h.states[entityID] = ns
	h.publish(&event{eventType: "state_changed", data: object{{"entity_id", entityID}, {"old_state", h.wire(prev)}, {"new_state", h.wire(&ns)}},
		ctx: ctx, at: now, origin: "LOCAL", change: &stateChange{entityID: entityID, old: prev, new: &ns}})
	h.runTriggered(prev, ns)
}

// writeAttrs rewrites some attributes of an existing entity, keeping its state.
func (h *home) writeAttrs(entityID string, changes map[string]any, ctx Context) {
	st, ok := h.states[entityID]
	if !ok {
		return
	}
	attrs := maps.Clone(st.Attributes)
	maps.Copy(attrs, changes)
	h.write(entityID, st.State, attrs, ctx)
}

// remove deletes an entity's state, firing state_changed with new_state null.
func (h *home) remove(entityID string) {
	old, ok := h.states[entityID]
	if !ok {
		return
	}
	delete(h.states, entityID)
	ctx := h.newContext("", "")
	h.publish(&event{eventType: "state_changed", data: object{{"entity_id", entityID}, {"old_state", h.wire(&old)}, {"new_state", nil}},
		ctx: ctx, at: h.now(), origin: "LOCAL", change: &stateChange{entityID: entityID, old: &old}})
}

// sortedEntityIDs lists every entity id in order.
func (h *home) sortedEntityIDs() []string {
	return slices.Sorted(maps.Keys(h.states))
}

// config is get_config's result.
func (h *home) config() object {
	cfg := haConfig(h.sim.cfg.Version, h.components)
	for i := range cfg {
		if cfg[i].key == "state" {
			cfg[i].val = h.coreState()
		}
	}
	return cfg
}
