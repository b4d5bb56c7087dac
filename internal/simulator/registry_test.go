package simulator

import (
	"context"
	"maps"
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestRegistryLists checks the list commands of each version's shape: HA's exact keys
// (HA-PROTOCOL.md §15, §19), the same entries as Registries, and a home whose every entity is
// registered. Floors and labels exist from 2024.4 on, child devices from 2026.9 on.
func TestRegistryLists(t *testing.T) {
	area := []string{"aliases", "area_id", "created_at", "floor_id", "humidity_entity_id", "icon", "labels",
		"modified_at", "motion_entity_id", "name", "picture", "temperature_entity_id"}
	device := []string{"area_id", "config_entries", "config_entries_subentries", "configuration_url",
		"connections", "created_at", "disabled_by", "entry_type", "hw_version", "id", "identifiers", "labels", "manufacturer",
		"model", "model_id", "modified_at", "name", "name_by_user", "primary_config_entry", "serial_number", "sw_version",
		"via_device_id"}
	entity := []string{"area_id", "categories", "config_entry_id", "config_subentry_id", "created_at",
		"device_id", "disabled_by", "entity_category", "entity_id", "has_entity_name", "hidden_by", "icon", "id", "labels",
		"modified_at", "name", "options", "original_name", "platform", "translation_key", "unique_id"}
	floor := []string{"aliases", "created_at", "floor_id", "icon", "level", "modified_at", "name"}
	label := []string{"color", "created_at", "description", "icon", "label_id", "modified_at", "name"}
	without := func(keys []string, drop ...string) []string {
		return slices.DeleteFunc(slices.Clone(keys), func(k string) bool { return slices.Contains(drop, k) })
	}
	for _, v := range []struct {
		version                            string
		area, device, entity, floor, label []string // nil: an unknown command
	}{
		{"2024.2.5", without(area, "floor_id", "labels"), without(device, "labels"), without(entity, "categories", "labels"), nil, nil},
		{"2024.3.3", without(area, "floor_id", "labels"), without(device, "labels"), without(entity, "categories"), []string{}, []string{}},
		{DefaultVersion, area, device, entity, floor, label},
		{"2026.9.0", area, slices.Sorted(slices.Values(append(slices.Clone(device), "parent_device_id"))), entity, floor, label},
	} {
		t.Run(v.version, func(t *testing.T) {
			s, ts := startSim(t, Config{Version: v.version})
			c := login(t, ts, userToken) // the lists are not admin-only
			reg := s.Registries()
			sh := shapeOf(v.version)
			for i, tc := range []struct {
				command string
				keys    []string
				want    any
			}{
				{"config/area_registry/list", v.area, listOf(reg.Areas, sh)},
				{"config/device_registry/list", v.device, listOf(reg.Devices, sh)},
				{"config/entity_registry/list", v.entity, listOf(reg.Entities, sh)},
				{"config/floor_registry/list", v.floor, reg.Floors},
				{"config/label_registry/list", v.label, reg.Labels},
			} {
				c.sendJSON(map[string]any{"id": i + 1, "type": tc.command})
				var reply struct {
					Success bool
					Result  []map[string]any
					Error   struct{ Code string }
				}
				decode(t, c.nextRaw(), &reply)
				if tc.keys == nil {
					if reply.Success || reply.Error.Code != codeUnknownCommand {
						t.Errorf("%s: %+v, want unknown_command before 2024.4", tc.command, reply)
					}
					continue
				}
				if !reply.Success || (len(reply.Result) == 0) != (len(tc.keys) == 0) { // no keys: an empty list
					t.Fatalf("%s: %+v", tc.command, reply)
				}
				for _, e := range reply.Result {
					if diff := cmp.Diff(tc.keys, slices.Sorted(maps.Keys(e))); diff != "" {
						t.Errorf("%s: keys of %v (-want +got):\n%s", tc.command, e, diff)
						break
					}
				}
				var want []map[string]any
				decode(t, appendJSON(nil, tc.want), &want)
				if diff := cmp.Diff(want, reply.Result, cmpopts.EquateEmpty()); diff != "" {
					t.Errorf("%s differs from Registries() (-Registries +list):\n%s", tc.command, diff)
				}
			}
			checkRegistries(t, s, reg)
		})
	}
}

// checkRegistries checks that the registries hang together and cover the home.
func checkRegistries(t *testing.T, s *Simulator, reg Registries) {
	t.Helper()
	areas := map[string]bool{}
	for _, a := range reg.Areas {
		areas[a.AreaID] = true
	}
	for _, want := range []string{"living_room", "kitchen", "bedroom", "bathroom", "hallway", "garden"} {
		if !areas[want] {
			t.Errorf("no area %s", want)
		}
	}
	devices := map[string]DeviceEntry{}
	for _, d := range reg.Devices {
		devices[d.ID] = d
		if !userIDRE.MatchString(d.ID) || (d.ViaDeviceID != "" && devices[d.ViaDeviceID].ID == "") {
			t.Errorf("device %s: id %q, via %q (want 32 hex and a device listed before it)", d.Name, d.ID, d.ViaDeviceID)
		}
		if d.AreaID != "" && !areas[d.AreaID] {
			t.Errorf("device %s in unknown area %q", d.Name, d.AreaID)
		}
	}
	entries := map[string]EntityEntry{}
	withDevice, withArea, labels := 0, 0, map[string]int{}
	for _, e := range reg.Entities {
		entries[e.EntityID] = e
		if e.DeviceID != "" {
			withDevice++
			if _, ok := devices[e.DeviceID]; !ok {
				t.Errorf("%s: unknown device %s", e.EntityID, e.DeviceID)
			}
		}
		if e.AreaID != "" {
			withArea++
		}
		for _, l := range e.Labels {
			labels[l]++
		}
	}
	for _, st := range s.States() {
		if _, ok := entries[st.EntityID]; !ok {
			t.Errorf("%s has no entity registry entry", st.EntityID)
		}
	}
	labelled := len(reg.Labels) == 0 || labels["outdoor"] >= 2 && labels["security"] >= 2 // no labels before 2024.4
	if withDevice*3 < len(reg.Entities)*2 || withArea == 0 || !labelled {
		t.Errorf("%d of %d entities with a device, %d with an area of their own, labels %v: want most, some, outdoor and security",
			withDevice, len(reg.Entities), withArea, labels)
	}
}

// TestRegistryUpdates checks the hooks and the events they fire, with HA's data shapes (changes
// hold the OLD values), as a non-admin user, who may subscribe to them, sees them.
func TestRegistryUpdates(t *testing.T) {
	s, ts := startSim(t, Config{})
	c := login(t, ts, userToken)
	for i, ty := range []string{"area_registry_updated", "device_registry_updated", "entity_registry_updated"} {
		c.subscribe(i+1, ty)
	}
	reg := s.Registries()
	var hallLight EntityEntry
	for _, e := range reg.Entities {
		if e.EntityID == "light.hall" {
			hallLight = e
		}
	}
	next := func() (string, any) {
		t.Helper()
		ev := c.next()["event"].(map[string]any)
		return ev["event_type"].(string), ev["data"]
	}
	type event struct {
		Type string
		Data any
	}
	for _, tc := range []struct {
		name string
		do   func()
		want []event
	}{
		{"entity to an existing area", func() { s.SetEntityArea("light.hall", "kitchen") }, []event{
			{"entity_registry_updated", map[string]any{"action": "update", "entity_id": "light.hall", "changes": map[string]any{"area_id": nil}}}}},
		{"entity to a new area", func() { s.SetEntityArea("light.hall", "attic") }, []event{
			{"area_registry_updated", map[string]any{"action": "create", "area_id": "attic"}},
			{"entity_registry_updated", map[string]any{"action": "update", "entity_id": "light.hall", "changes": map[string]any{"area_id": "kitchen"}}}}},
		{"device", func() { s.SetDeviceArea(hallLight.DeviceID, "garage") }, []event{
			{"device_registry_updated", map[string]any{"action": "update", "device_id": hallLight.DeviceID, "changes": map[string]any{"area_id": "hallway"}}}}},
		{"labels", func() { s.SetEntityLabels("camera.driveway", []string{"security"}) }, []event{
			{"entity_registry_updated", map[string]any{"action": "update", "entity_id": "camera.driveway",
				"changes": map[string]any{"labels": []any{"outdoor", "security"}}}}}},
		{"unchanged fires nothing", func() {
			s.SetEntityLabels("camera.driveway", []string{"security", "security"})
			s.SetEntityArea("light.hall", "attic")
			s.SetEntityArea("sensor.not_registered", "attic")
			s.FireEvent("entity_registry_updated", map[string]any{"marker": true})
		}, []event{{"entity_registry_updated", map[string]any{"marker": true}}}},
	} {
		tc.do()
		var got []event
		for range tc.want {
			ty, data := next()
			got = append(got, event{ty, data})
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("%s: events (-want +got):\n%s", tc.name, diff)
		}
	}
	after := s.Registries()
	for _, e := range after.Entities {
		if e.EntityID == "light.hall" && (e.AreaID != "attic" || !e.ModifiedAt.After(hallLight.ModifiedAt)) {
			t.Errorf("light.hall after the moves: area %q, modified %v; want attic, later than %v", e.AreaID, e.ModifiedAt, hallLight.ModifiedAt)
		}
		if e.EntityID == "camera.driveway" && !slices.Equal(e.Labels, []string{"security"}) {
			t.Errorf("camera.driveway labels %v, want [security]", e.Labels)
		}
	}
	if a := after.Areas[len(after.Areas)-1]; a.AreaID != "attic" || a.Name != "Attic" {
		t.Errorf("last area %+v, want the new attic", a)
	}
}

// TestChildDevices checks the garage door's energy meter: from 2026.9 on a child device of the
// garage door's device, with no area of its own and so in its parent's (HA-PROTOCOL.md §19);
// before, its entity belongs to the garage door's device itself.
func TestChildDevices(t *testing.T) {
	for _, tc := range []struct {
		version string
		child   bool
	}{{DefaultVersion, false}, {"2026.9.0", true}} {
		t.Run(tc.version, func(t *testing.T) {
			s, _ := startSim(t, Config{Version: tc.version})
			reg := s.Registries()
			devices := map[string]DeviceEntry{}
			for _, d := range reg.Devices {
				devices[d.ID] = d
			}
			deviceOf := map[string]DeviceEntry{}
			for _, e := range reg.Entities {
				deviceOf[e.EntityID] = devices[e.DeviceID]
			}
			door, meter := deviceOf["cover.garage_door"], deviceOf["sensor.garage_door_energy"]
			if door.AreaID != "garage" {
				t.Fatalf("garage door's device %+v, want it in the garage", door)
			}
			if !tc.child {
				if meter.ID != door.ID {
					t.Errorf("sensor.garage_door_energy on device %q, want the garage door's %q", meter.Name, door.Name)
				}
				for _, d := range reg.Devices {
					if d.ParentDeviceID != "" {
						t.Errorf("device %q has parent %q before 2026.9", d.Name, d.ParentDeviceID)
					}
				}
				return
			}
			if meter.ID == door.ID || meter.ParentDeviceID != door.ID || meter.AreaID != "" {
				t.Fatalf("sensor.garage_door_energy on %+v, want a child of %s without an area", meter, door.ID)
			}
			var area string
			s.do(context.Background(), func(h *home) { area = h.reg.deviceArea(h.reg.device(meter.ID)) })
			if area != "garage" {
				t.Errorf("the child device is in area %q, want its parent's, garage", area)
			}
		})
	}
}
