package simulator

import (
	"context"
	"maps"
	"slices"
	"time"
)

// Registries is a copy of the home's area, device, entity, floor and label registries, each in
// the order its config/*_registry/list command returns it (entities sorted by entity id). Each
// entry marshals to the JSON object the newest cores' list command writes for it
// (HA-PROTOCOL.md §15); the Simulator's own list commands write what its Config.Version does.
type Registries struct {
	Areas    []AreaEntry
	Devices  []DeviceEntry
	Entities []EntityEntry
	Floors   []FloorEntry
	Labels   []LabelEntry
}

// AreaEntry is an area of HA's area registry. Empty strings marshal as null.
type AreaEntry struct {
	AreaID              string // a slug of the name: "living_room"
	Name                string
	FloorID             string
	Icon                string
	Picture             string
	Aliases             []string
	Labels              []string
	TemperatureEntityID string
	HumidityEntityID    string
	MotionEntityID      string
	CreatedAt           time.Time
	ModifiedAt          time.Time
}

// DeviceEntry is a device of HA's device registry. Empty strings marshal as null.
type DeviceEntry struct {
	ID                 string // 32 hex characters
	Name               string
	NameByUser         string
	Manufacturer       string
	Model              string
	ModelID            string
	AreaID             string
	ConfigEntries      []string // config entry ids (ULIDs)
	PrimaryConfigEntry string
	Connections        [][2]string // ["mac", "aa:bb:…"], ["zigbee", "00:15:…"]
	Identifiers        [][2]string // [integration, id]
	Labels             []string
	EntryType          string // "" or "service"
	ConfigurationURL   string
	DisabledBy         string
	HWVersion          string
	SWVersion          string
	SerialNumber       string
	ViaDeviceID        string
	ParentDeviceID     string // a child device's parent (2026.9 and later): its area, unless it has one
	CreatedAt          time.Time
	ModifiedAt         time.Time
}

// EntityEntry is an entity of HA's entity registry. Empty strings marshal as null; an empty
// AreaID means the entity is in its device's area.
type EntityEntry struct {
	EntityID         string
	ID               string // 32 hex characters
	UniqueID         string
	Platform         string // the integration: "hue", "zha", "automation", …
	ConfigEntryID    string
	ConfigSubentryID string
	DeviceID         string
	AreaID           string
	Labels           []string
	Name             string // the user's name for it; "" = its own name
	OriginalName     string
	HasEntityName    bool
	Icon             string
	EntityCategory   string // "", "config" or "diagnostic"
	DisabledBy       string
	HiddenBy         string
	TranslationKey   string
	CreatedAt        time.Time
	ModifiedAt       time.Time
}

// FloorEntry is a floor of HA's floor registry (2024.4 and later). Empty strings marshal as null.
type FloorEntry struct {
	FloorID    string
	Name       string
	Level      int
	Icon       string
	Aliases    []string
	CreatedAt  time.Time
	ModifiedAt time.Time
}

// LabelEntry is a label of HA's label registry (2024.4 and later). Empty strings marshal as null.
type LabelEntry struct {
	LabelID     string
	Name        string
	Color       string
	Icon        string
	Description string
	CreatedAt   time.Time
	ModifiedAt  time.Time
}

func strs(v []string) []any {
	if v == nil {
		return []any{}
	}
	return toAny(v)
}

func pairs(v [][2]string) []any {
	out := make([]any, len(v))
	for i, p := range v {
		out[i] = []any{p[0], p[1]}
	}
	return out
}

// MarshalJSON writes the area as the newest cores' config/area_registry/list does.
func (a AreaEntry) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, a.members(newestShape())), nil
}

// members is the area as a core of shape sh lists it: floor_id and labels from 2024.4 on.
func (a AreaEntry) members(sh shape) object {
	o := object{{"aliases", strs(a.Aliases)}, {"area_id", a.AreaID}}
	if sh.labelsFloors {
		o = append(o, member{"floor_id", nullable(a.FloorID)})
	}
	o = append(o, member{"humidity_entity_id", nullable(a.HumidityEntityID)}, member{"icon", nullable(a.Icon)})
	if sh.labelsFloors {
		o = append(o, member{"labels", strs(a.Labels)})
	}
	return append(o, member{"motion_entity_id", nullable(a.MotionEntityID)}, member{"name", a.Name},
		member{"picture", nullable(a.Picture)}, member{"temperature_entity_id", nullable(a.TemperatureEntityID)},
		member{"created_at", epoch(a.CreatedAt)}, member{"modified_at", epoch(a.ModifiedAt)})
}

// MarshalJSON writes the device as the newest cores' config/device_registry/list does.
func (d DeviceEntry) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, d.members(newestShape())), nil
}

// members is the device as a core of shape sh lists it: labels from 2024.4 on, parent_device_id
// from 2026.9 on.
func (d DeviceEntry) members(sh shape) object {
	sub := object{}
	for _, e := range d.ConfigEntries {
		sub = append(sub, member{e, []any{nil}})
	}
	o := object{
		{"area_id", nullable(d.AreaID)}, {"configuration_url", nullable(d.ConfigurationURL)},
		{"config_entries", strs(d.ConfigEntries)}, {"config_entries_subentries", sub},
		{"connections", pairs(d.Connections)}, {"created_at", epoch(d.CreatedAt)},
		{"disabled_by", nullable(d.DisabledBy)}, {"entry_type", nullable(d.EntryType)},
		{"hw_version", nullable(d.HWVersion)}, {"id", d.ID}, {"identifiers", pairs(d.Identifiers)},
	}
	if sh.labelsFloors {
		o = append(o, member{"labels", strs(d.Labels)})
	}
	o = append(o, member{"manufacturer", nullable(d.Manufacturer)}, member{"model", nullable(d.Model)},
		member{"model_id", nullable(d.ModelID)}, member{"modified_at", epoch(d.ModifiedAt)},
		member{"name_by_user", nullable(d.NameByUser)}, member{"name", nullable(d.Name)})
	if sh.childDevices {
		o = append(o, member{"parent_device_id", nullable(d.ParentDeviceID)})
	}
	return append(o, member{"primary_config_entry", nullable(d.PrimaryConfigEntry)},
		member{"serial_number", nullable(d.SerialNumber)}, member{"sw_version", nullable(d.SWVersion)},
		member{"via_device_id", nullable(d.ViaDeviceID)})
}

// MarshalJSON writes the entity as the newest cores' config/entity_registry/list does.
func (e EntityEntry) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, e.members(newestShape())), nil
}

// members is the entity as a core of shape sh lists it: labels from 2024.3 on, categories from
// 2024.4 on.
func (e EntityEntry) members(sh shape) object {
	o := object{{"area_id", nullable(e.AreaID)}}
	if sh.labelsFloors {
		o = append(o, member{"categories", object{}})
	}
	o = append(o, member{"config_entry_id", nullable(e.ConfigEntryID)},
		member{"config_subentry_id", nullable(e.ConfigSubentryID)}, member{"created_at", epoch(e.CreatedAt)},
		member{"device_id", nullable(e.DeviceID)}, member{"disabled_by", nullable(e.DisabledBy)},
		member{"entity_category", nullable(e.EntityCategory)}, member{"entity_id", e.EntityID},
		member{"has_entity_name", e.HasEntityName}, member{"hidden_by", nullable(e.HiddenBy)}, member{"icon", nullable(e.Icon)},
		member{"id", e.ID})
	if sh.registryLists {
		o = append(o, member{"labels", strs(e.Labels)})
	}
	return append(o, member{"modified_at", epoch(e.ModifiedAt)}, member{"name", nullable(e.Name)},
		member{"options", object{}}, member{"original_name", nullable(e.OriginalName)}, member{"platform", e.Platform},
		member{"translation_key", nullable(e.TranslationKey)}, member{"unique_id", e.UniqueID})
}

// MarshalJSON writes the floor as config/floor_registry/list does.
func (f FloorEntry) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, object{
		{"aliases", strs(f.Aliases)}, {"created_at", epoch(f.CreatedAt)}, {"floor_id", f.FloorID},
		{"icon", nullable(f.Icon)}, {"level", f.Level}, {"name", f.Name}, {"modified_at", epoch(f.ModifiedAt)},
	}), nil
}

// MarshalJSON writes the label as config/label_registry/list does.
func (l LabelEntry) MarshalJSON() ([]byte, error) {
	return appendJSON(nil, object{
		{"color", nullable(l.Color)}, {"created_at", epoch(l.CreatedAt)}, {"description", nullable(l.Description)},
		{"icon", nullable(l.Icon)}, {"label_id", l.LabelID}, {"name", l.Name}, {"modified_at", epoch(l.ModifiedAt)},
	}), nil
}

// registry is the home's registries. It belongs to Run's goroutine; entries are replaced, never
// changed in place, so copies handed out stay true.
type registry struct {
	areas    []*AreaEntry
	devices  []*DeviceEntry
	entities map[string]*EntityEntry
	floors   []FloorEntry
	labels   []LabelEntry

	ids           registryIDs       // draws ids for new entries
	configEntries map[string]string // integration → its config entry id
	listed        map[string]int    // how often each list command was answered ([Simulator.Listed])
}

func (r *registry) area(id string) *AreaEntry {
	i := slices.IndexFunc(r.areas, func(a *AreaEntry) bool { return a.AreaID == id })
	if i < 0 {
		return nil
	}
	return r.areas[i]
}

func (r *registry) device(id string) *DeviceEntry {
	i := slices.IndexFunc(r.devices, func(d *DeviceEntry) bool { return d.ID == id })
	if i < 0 {
		return nil
	}
	return r.devices[i]
}

// snapshot copies the registries.
func (r *registry) snapshot() Registries {
	var out Registries
	for _, a := range r.areas {
		c := *a
		c.Aliases, c.Labels = slices.Clone(a.Aliases), slices.Clone(a.Labels)
		out.Areas = append(out.Areas, c)
	}
	for _, d := range r.devices {
		c := *d
		c.ConfigEntries, c.Labels = slices.Clone(d.ConfigEntries), slices.Clone(d.Labels)
		c.Connections, c.Identifiers = slices.Clone(d.Connections), slices.Clone(d.Identifiers)
		out.Devices = append(out.Devices, c)
	}
	for _, id := range slices.Sorted(maps.Keys(r.entities)) {
		c := *r.entities[id]
		c.Labels = slices.Clone(c.Labels)
		out.Entities = append(out.Entities, c)
	}
	for _, f := range r.floors {
		f.Aliases = slices.Clone(f.Aliases)
		out.Floors = append(out.Floors, f)
	}
	out.Labels = slices.Clone(r.labels)
	return out
}

// deviceArea is the area a device is in: its own, or for a child device without one its
// parent's (2026.9 and later).
func (r *registry) deviceArea(d *DeviceEntry) string {
	for range 8 { // parents of parents, but never round a loop for ever
		if d.AreaID != "" || d.ParentDeviceID == "" {
			return d.AreaID
		}
		if d = r.device(d.ParentDeviceID); d == nil {
			return ""
		}
	}
	return ""
}

// registryCommands are the list commands of a core of shape sh: floors and labels from 2024.3
// on; before, those two are unknown commands.
func registryCommands(sh shape) map[string]command {
	cmds := map[string]command{
		"config/area_registry/list":   {handle: handleAreaList},
		"config/device_registry/list": {handle: handleDeviceList},
		"config/entity_registry/list": {handle: handleEntityList},
	}
	if sh.registryLists {
		cmds["config/floor_registry/list"] = command{handle: handleFloorList}
		cmds["config/label_registry/list"] = command{handle: handleLabelList}
	}
	return cmds
}

// listOf is a list command's result: each entry as a core of shape sh lists it.
func listOf[E interface{ members(shape) object }](entries []E, sh shape) []any {
	out := make([]any, len(entries))
	for i, e := range entries {
		out[i] = e.members(sh)
	}
	return out
}

func handleAreaList(h *home, c *conn, id int64, _ map[string]any) error {
	h.reg.listed["config/area_registry/list"]++
	h.send(c, resultMessage(id, listOf(h.reg.snapshot().Areas, h.shape)))
	return nil
}

func handleDeviceList(h *home, c *conn, id int64, _ map[string]any) error {
	h.reg.listed["config/device_registry/list"]++
	h.send(c, resultMessage(id, listOf(h.reg.snapshot().Devices, h.shape)))
	return nil
}

func handleEntityList(h *home, c *conn, id int64, _ map[string]any) error {
	h.reg.listed["config/entity_registry/list"]++
	h.send(c, resultMessage(id, listOf(h.reg.snapshot().Entities, h.shape)))
	return nil
}

func handleFloorList(h *home, c *conn, id int64, _ map[string]any) error {
	h.reg.listed["config/floor_registry/list"]++
	h.send(c, resultMessage(id, h.reg.snapshot().Floors))
	return nil
}

func handleLabelList(h *home, c *conn, id int64, _ map[string]any) error {
	h.reg.listed["config/label_registry/list"]++
	h.send(c, resultMessage(id, h.reg.snapshot().Labels))
	return nil
}

// ensureArea returns areaID, creating the area (named after its id, area_registry_updated
// create) when it does not exist, as typing a new area's name in HA's UI does.
func (h *home) ensureArea(areaID string) {
	if areaID == "" || h.reg.area(areaID) != nil {
		return
	}
	now := h.now()
	h.reg.areas = append(h.reg.areas, &AreaEntry{AreaID: areaID, Name: titleOf(areaID), CreatedAt: now, ModifiedAt: now})
	h.fire("area_registry_updated", object{{"action", "create"}, {"area_id", areaID}}, h.newContext("", ""), now)
}

// updateEntity replaces an entity's registry entry with next and fires entity_registry_updated
// with the old values of what changed. It does nothing when nothing changed.
func (h *home) updateEntity(old *EntityEntry, next EntityEntry, changes object) {
	if len(changes) == 0 {
		return
	}
	next.ModifiedAt = h.now()
	h.reg.entities[old.EntityID] = &next
	h.fire("entity_registry_updated", object{{"action", "update"}, {"entity_id", old.EntityID}, {"changes", changes}},
		h.newContext("", ""), next.ModifiedAt)
}

// SetEntityArea puts an entity in an area of its own ("" = back to its device's area), as
// editing it in HA does: entity_registry_updated with changes {"area_id": <old>}. An area that
// does not exist is created first (area_registry_updated). Entities without a registry entry
// (those only SetState made) are left alone.
func (s *Simulator) SetEntityArea(entityID, areaID string) {
	s.do(context.Background(), func(h *home) {
		e := h.reg.entities[entityID]
		if e == nil || e.AreaID == areaID {
			return
		}
		h.ensureArea(areaID)
		next := *e
		next.AreaID = areaID
		h.updateEntity(e, next, object{{"area_id", nullable(e.AreaID)}})
	})
}

// SetEntityLabels sets an entity's labels (label ids, e.g. "outdoor"): entity_registry_updated
// with changes {"labels": <old labels>}. Order does not matter; the same set changes nothing.
func (s *Simulator) SetEntityLabels(entityID string, labels []string) {
	labels = slices.Sorted(slices.Values(labels))
	labels = slices.Compact(labels)
	s.do(context.Background(), func(h *home) {
		e := h.reg.entities[entityID]
		if e == nil || slices.Equal(slices.Sorted(slices.Values(e.Labels)), labels) {
			return
		}
		next := *e
		next.Labels = labels
		h.updateEntity(e, next, object{{"labels", strs(e.Labels)}})
	})
}

// SetDeviceArea moves a device to an area ("" = none): device_registry_updated with changes
// {"area_id": <old>}. Its entities without an area of their own move with it; no entity event
// fires for them, as in HA. An area that does not exist is created first.
func (s *Simulator) SetDeviceArea(deviceID, areaID string) {
	s.do(context.Background(), func(h *home) {
		d := h.reg.device(deviceID)
		if d == nil || d.AreaID == areaID {
			return
		}
		h.ensureArea(areaID)
		next := *d
		next.AreaID, next.ModifiedAt = areaID, h.now()
		h.reg.devices[slices.Index(h.reg.devices, d)] = &next
		h.fire("device_registry_updated", object{{"action", "update"}, {"device_id", deviceID},
			{"changes", object{{"area_id", nullable(d.AreaID)}}}}, h.newContext("", ""), next.ModifiedAt)
	})
}

// Registries returns copies of the current area, device and entity registries, as the list
// commands return them. After Run has returned it returns the zero value.
func (s *Simulator) Registries() Registries {
	var out Registries
	s.do(context.Background(), func(h *home) { out = h.reg.snapshot() })
	return out
}

// Listed returns how many times the list command (as "config/entity_registry/list") has been
// answered, to every connection together.
func (s *Simulator) Listed(command string) int {
	var n int
	s.do(context.Background(), func(h *home) { n = h.reg.listed[command] })
	return n
}
