package halink

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"slices"
	"strings"
	"sync/atomic"
	"time"

	"hasse/internal/hass"
)

// registry is what Home Assistant's area, device and entity registries (HA-PROTOCOL.md §15) say
// of where entities are, and the indexes that resolve a service call's targets by area, device,
// floor and label (target.go), read-only once made: a reload makes a new one.
type registry struct {
	entities  map[string]entityPlace // by entity id
	devices   map[string]devicePlace // by device id
	areaNames map[string]string      // area id → name

	// Entities a call reaches indirectly (not hidden, disabled, config or diagnostic, as HA's
	// helpers/service.py leaves those out), and what reaches them.
	areaEntities   map[string][]string // area id → entities with that area of their own
	deviceEntities map[string][]string // device id → its entities
	areaDevices    map[string][]string // area id → devices in it (child devices: in their parent's)
	floorAreas     map[string][]string // floor id → its areas
	labelAreas     map[string][]string // label id → areas with it
	labelDevices   map[string][]string // label id → devices with it
	labelEntities  map[string][]string // label id → entities with it
	platforms      map[string][]string // integration → its entities (hidden ones too), for entity_id: all
}

type devicePlace struct {
	area, parent string // parent: the device a child device (2026.9+) belongs to
}

type entityPlace struct {
	area, device string
	labels       []string
	platform     string // the integration that provides it
}

// Registry entries as the list commands give them: only what hasse reads.
type (
	areaEntry struct {
		AreaID  string   `json:"area_id"`
		Name    string   `json:"name"`
		FloorID string   `json:"floor_id"` // 2024.4+
		Labels  []string `json:"labels"`   // 2024.4+
	}
	deviceEntry struct {
		ID       string   `json:"id"`
		AreaID   string   `json:"area_id"`
		ParentID string   `json:"parent_device_id"` // 2026.9+
		Labels   []string `json:"labels"`           // 2024.4+
	}
	entityEntry struct {
		EntityID       string   `json:"entity_id"`
		AreaID         string   `json:"area_id"`
		DeviceID       string   `json:"device_id"`
		Labels         []string `json:"labels"` // 2024.4+
		Platform       string   `json:"platform"`
		EntityCategory string   `json:"entity_category"`
		HiddenBy       string   `json:"hidden_by"`
		DisabledBy     string   `json:"disabled_by"`
	}
)

// newRegistry makes the registry of the entries of the three list commands.
func newRegistry(areas []areaEntry, devices []deviceEntry, entities []entityEntry) *registry {
	r := &registry{
		entities:       make(map[string]entityPlace, len(entities)),
		devices:        make(map[string]devicePlace, len(devices)),
		areaNames:      make(map[string]string, len(areas)),
		areaEntities:   make(map[string][]string),
		deviceEntities: make(map[string][]string),
		areaDevices:    make(map[string][]string),
		floorAreas:     make(map[string][]string),
		labelAreas:     make(map[string][]string),
		labelDevices:   make(map[string][]string),
		labelEntities:  make(map[string][]string),
		platforms:      make(map[string][]string),
	}
	for _, a := range areas {
		r.areaNames[a.AreaID] = a.Name
		if a.FloorID != "" {
			r.floorAreas[a.FloorID] = append(r.floorAreas[a.FloorID], a.AreaID)
		}
		for _, l := range a.Labels {
			r.labelAreas[l] = append(r.labelAreas[l], a.AreaID)
		}
	}
	for _, d := range devices {
		r.devices[d.ID] = devicePlace{area: d.AreaID, parent: d.ParentID}
		for _, l := range d.Labels {
			r.labelDevices[l] = append(r.labelDevices[l], d.ID)
		}
	}
	for _, d := range devices {
		if area := r.deviceArea(d.ID); area != "" {
			r.areaDevices[area] = append(r.areaDevices[area], d.ID)
		}
	}
	for _, e := range entities {
		labels := slices.Clone(e.Labels)
		slices.Sort(labels)
		r.entities[e.EntityID] = entityPlace{area: e.AreaID, device: e.DeviceID, labels: labels, platform: e.Platform}
		if e.DisabledBy != "" {
			continue // has no state; no call reaches it
		}
		if e.Platform != "" {
			r.platforms[e.Platform] = append(r.platforms[e.Platform], e.EntityID)
		}
		if e.EntityCategory != "" || e.HiddenBy != "" {
			continue // never reached through an area, device or label
		}
		if e.AreaID != "" {
			r.areaEntities[e.AreaID] = append(r.areaEntities[e.AreaID], e.EntityID)
		}
		if e.DeviceID != "" {
			r.deviceEntities[e.DeviceID] = append(r.deviceEntities[e.DeviceID], e.EntityID)
		}
		for _, l := range e.Labels {
			r.labelEntities[l] = append(r.labelEntities[l], e.EntityID)
		}
	}
	return r
}

// place returns the area id, the area's name and the labels of entity id. An entity without an
// area of its own is in its device's area, and a child device without one in its parent's.
func (r *registry) place(id string) (area, name string, labels []string) {
	e, ok := r.entities[id]
	if !ok {
		return "", "", nil
	}
	area = e.area
	if area == "" {
		area = r.deviceArea(e.device)
	}
	return area, r.areaNames[area], e.labels
}

// deviceArea returns the area of device id: its own, or for a child device without one its
// parent's (HA-PROTOCOL.md §19).
func (r *registry) deviceArea(id string) string {
	for range 8 { // parents of parents, but never round a loop for ever
		d, ok := r.devices[id]
		if !ok || d.area != "" {
			return d.area
		}
		id = d.parent
	}
	return ""
}

// annotate sets ev's area and labels from the registry, when it has them.
func (r *registry) annotate(ev *hass.Event) {
	if r == nil || ev.EntityID == "" {
		return
	}
	ev.Area, ev.AreaName, ev.Labels = r.place(ev.EntityID)
}

// isRegistryUpdate reports whether an event type says a registry changed.
func isRegistryUpdate(t string) bool {
	return t == "area_registry_updated" || t == "device_registry_updated" || t == "entity_registry_updated"
}

// loadRegistry reads the three registries over the session.
func (s *session) loadRegistry(ctx context.Context) (*registry, error) {
	var (
		areas    []areaEntry
		devices  []deviceEntry
		entities []entityEntry
	)
	for _, list := range []struct {
		typ  string
		into any
	}{
		{"config/area_registry/list", &areas},
		{"config/device_registry/list", &devices},
		{"config/entity_registry/list", &entities},
	} {
		res, err := s.command(ctx, request{typ: list.typ, body: []byte(`{"type":"` + list.typ + `"}`)})
		if err != nil {
			return nil, err
		}
		if err := json.Unmarshal(res, list.into); err != nil {
			return nil, fmt.Errorf("%s: %w", list.typ, err)
		}
	}
	return newRegistry(areas, devices, entities), nil
}

// reloadRegistry loads the registries and puts them in use. A Home Assistant that refuses them
// (an older version, a restricted token, a look-alike) is logged once; the stream goes on.
func (s *session) reloadRegistry(ctx context.Context) error {
	r, err := s.loadRegistry(ctx)
	if ce := (*CommandError)(nil); errors.As(err, &ce) {
		if s.c.registries.refuse(ce.Message) {
			s.c.log.LogAttrs(ctx, slog.LevelWarn, "home assistant gives no registries; area and label filters are off", slog.Any("err", err))
		}
		return nil
	}
	if err != nil {
		return err
	}
	s.c.registries.use(r)
	return nil
}

// Registry reloads wait for the registries to settle, as Home Assistant's own frontend does: a
// burst of updates (an integration adding its devices, a rename that touches many entities) is
// read once, registryQuiet after its last update. registryMaxWait bounds the wait while updates
// never stop coming.
const (
	registryQuiet   = 500 * time.Millisecond
	registryMaxWait = 5 * time.Second
)

// watchRegistry reloads the registries once they have been quiet for registryQuiet after the
// reader saw them change (or registryMaxWait after the first change not yet read), until ctx ends.
func (s *session) watchRegistry(ctx context.Context) {
	timer := time.NewTimer(registryQuiet)
	timer.Stop()
	defer timer.Stop()
	var pending time.Time // when the first change not yet read was seen; zero when none is
	for {
		select {
		case <-s.registryChanged:
			now := time.Now()
			if pending.IsZero() {
				pending = now
			}
			timer.Reset(min(registryQuiet, pending.Add(registryMaxWait).Sub(now)))
		case <-timer.C:
			pending = time.Time{}
			if err := s.reloadRegistry(ctx); err != nil && ctx.Err() == nil {
				s.c.log.LogAttrs(ctx, slog.LevelWarn, "reload home assistant registries", slog.Any("err", err))
			}
		case <-ctx.Done():
			return
		}
	}
}

// RegistryProblem says why area and label filters cannot work, or "" when they can.
func (c *Client) RegistryProblem() string { return c.registries.problem() }

// registries is the registry in use, or Home Assistant's refusal to give one, as the sessions
// set it: one value, replaced whole, so that a reader never sees half of a change.
type registries struct {
	p atomic.Pointer[registryUse] // nil before the first load
}

// registryUse is what the last load of the registries gave.
type registryUse struct {
	reg     *registry // nil when refused
	refusal *string   // HA's message when it refused the registries
}

// current returns the registry in use, or nil while there is none.
func (r *registries) current() *registry {
	if u := r.p.Load(); u != nil {
		return u.reg
	}
	return nil
}

// use puts reg in use.
func (r *registries) use(reg *registry) { r.p.Store(&registryUse{reg: reg}) }

// refuse records that Home Assistant refused its registries with message msg, and reports
// whether that is news: whether the last load was not refused too.
func (r *registries) refuse(msg string) bool {
	prev := r.p.Swap(&registryUse{refusal: &msg})
	return prev == nil || prev.refusal == nil
}

// problem says why area and label filters cannot work, or "" when they can.
func (r *registries) problem() string {
	switch u := r.p.Load(); {
	case u != nil && u.reg != nil:
		return ""
	case u != nil && u.refusal != nil:
		return "Home Assistant refused its registries: " + strings.TrimSpace(*u.refusal)
	}
	return "Home Assistant's registries are not loaded yet"
}
