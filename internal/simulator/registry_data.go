package simulator

import (
	"fmt"
	"hasse/internal/hastamp"
	"math/rand/v2"
	"slices"
	"strings"
	"time"
)

// This file is data: the areas and devices of the built-in home, and how its registries are
// built from them. Areas of devices come from their entities in home.go.

// areaSpec is an area as the home starts.
type areaSpec struct {
	id, name, floor, icon string
	aliases, labels       []string
	temperature, humidity string
	motion                string
}

func builtinAreas() []areaSpec {
	return []areaSpec{
		{id: "living_room", name: "Living room", floor: "ground_floor", icon: "mdi:sofa", aliases: []string{"Lounge"},
			temperature: "sensor.living_room_temperature", humidity: "sensor.living_room_humidity", motion: "binary_sensor.living_room_motion"},
		{id: "kitchen", name: "Kitchen", floor: "ground_floor", icon: "mdi:silverware-fork-knife",
			temperature: "sensor.kitchen_temperature", motion: "binary_sensor.kitchen_motion"},
		{id: "hallway", name: "Hallway", floor: "ground_floor", icon: "mdi:door", motion: "binary_sensor.hall_motion"},
		{id: "bedroom", name: "Bedroom", floor: "first_floor", icon: "mdi:bed",
			temperature: "sensor.bedroom_temperature", humidity: "sensor.bedroom_humidity"},
		{id: "bathroom", name: "Bathroom", floor: "first_floor", icon: "mdi:shower",
			temperature: "sensor.bathroom_temperature", humidity: "sensor.bathroom_humidity"},
		{id: "office", name: "Office", floor: "first_floor", icon: "mdi:desk", temperature: "sensor.office_temperature"},
		{id: "garage", name: "Garage", icon: "mdi:garage", temperature: "sensor.garage_temperature", motion: "binary_sensor.garage_motion"},
		{id: "garden", name: "Garden", icon: "mdi:flower", aliases: []string{"Backyard"}, labels: []string{"outdoor"},
			temperature: "sensor.outdoor_temperature", humidity: "sensor.outdoor_humidity", motion: "binary_sensor.garden_motion"},
	}
}

// deviceSpec is a device and the entities it provides. Its area is that of its first entity in
// home.go unless area says otherwise.
type deviceSpec struct {
	key, name, manufacturer, model, modelID string
	integration                             string // platform of its entities
	area, via                               string // via: the key of the hub it talks through
	parent                                  string // the key of the device it is a child of (2026.9+); before, the parent holds its entities
	link                                    string // connection kind: "mac", "zigbee" or ""
	sw                                      string
	service                                 bool // entry_type service
	entities                                []string
}

func builtinDevices() []deviceSpec {
	hue := func(key, name, model, modelID string, entities ...string) deviceSpec {
		return deviceSpec{key: key, name: name, manufacturer: "Signify Netherlands B.V.", model: model, modelID: modelID,
			integration: "hue", via: "hue_bridge", sw: "1.122.2", entities: entities}
	}
	shelly := func(key, name, model, modelID string, entities ...string) deviceSpec {
		return deviceSpec{key: key, name: name, manufacturer: "Shelly", model: model, modelID: modelID,
			integration: "shelly", link: "mac", sw: "1.4.4", entities: entities}
	}
	zha := func(key, name, manufacturer, model string, entities ...string) deviceSpec {
		return deviceSpec{key: key, name: name, manufacturer: manufacturer, model: model, integration: "zha",
			via: "zha_coordinator", link: "zigbee", entities: entities}
	}
	return []deviceSpec{
		{key: "hue_bridge", name: "Hue Bridge", manufacturer: "Signify Netherlands B.V.", model: "Hue Bridge", modelID: "BSB002",
			integration: "hue", area: "hallway", link: "mac", sw: "1.68.1968096020"},
		{key: "zha_coordinator", name: "Home Assistant Connect ZBT-1", manufacturer: "Nabu Casa", model: "Home Assistant Connect ZBT-1",
			integration: "zha", area: "office", link: "zigbee", sw: "7.4.4.0"},
		hue("hue_living_room", "Living room ceiling", "Hue color lamp", "LCA001", "light.living_room"),
		hue("hue_living_room_lamp", "Living room lamp", "Hue white lamp", "LWA001", "light.living_room_lamp"),
		hue("hue_kitchen", "Kitchen", "Hue white lamp", "LWA001", "light.kitchen"),
		hue("hue_kitchen_island", "Kitchen island", "Hue ambiance lamp", "LTA001", "light.kitchen_island"),
		hue("hue_hall", "Hall", "Hue white lamp", "LWA001", "light.hall"),
		hue("hue_bedroom", "Bedroom", "Hue color lamp", "LCA001", "light.bedroom"),
		hue("hue_bathroom", "Bathroom", "Hue white lamp", "LWA001", "light.bathroom"),
		hue("hue_office_desk", "Office desk lamp", "Hue ambiance lamp", "LTA001", "light.office_desk"),
		hue("hue_hall_motion", "Hall motion", "Hue motion sensor", "SML001", "binary_sensor.hall_motion"),
		hue("hue_kitchen_motion", "Kitchen motion", "Hue motion sensor", "SML001", "binary_sensor.kitchen_motion"),
		hue("hue_living_room_motion", "Living room motion", "Hue motion sensor", "SML001", "binary_sensor.living_room_motion"),
		hue("hue_garage_motion", "Garage motion", "Hue motion sensor", "SML001", "binary_sensor.garage_motion"),
		hue("hue_garden_motion", "Garden motion", "Hue outdoor motion sensor", "SML002", "binary_sensor.garden_motion"),
		shelly("shelly_garage_light", "Garage", "Shelly Plus 1", "SNSW-001X16EU", "light.garage"),
		shelly("shelly_garden_light", "Garden", "Shelly Plus 1", "SNSW-001X16EU", "light.garden"),
		shelly("shelly_garden_pump", "Garden pump", "Shelly Plus 1", "SNSW-001X16EU", "switch.garden_pump"),
		shelly("shelly_bathroom_fan", "Bathroom fan", "Shelly Plus 1", "SNSW-001X16EU", "switch.bathroom_fan"),
		shelly("shelly_coffee_machine", "Coffee machine", "Shelly Plug S", "SHPLG-S", "switch.coffee_machine"),
		shelly("shelly_tv_power", "TV power", "Shelly Plug S", "SHPLG-S", "switch.tv_power"),
		shelly("shelly_office_heater", "Office heater", "Shelly Plug S", "SHPLG-S", "switch.office_heater"),
		shelly("shelly_washer", "Washer plug", "Shelly Plug S", "SHPLG-S", "sensor.washer_power"),
		shelly("shelly_fridge", "Fridge plug", "Shelly Plug S", "SHPLG-S", "sensor.fridge_power"),
		shelly("shelly_office_desk", "Office desk plug", "Shelly Plug S", "SHPLG-S", "sensor.office_desk_power"),
		shelly("shelly_garage_door", "Garage door", "Shelly Plus 2PM", "SNSW-102P16EU", "cover.garage_door"),
		zha("zha_living_room_climate", "Living room climate", "LUMI", "lumi.weather", "sensor.living_room_temperature", "sensor.living_room_humidity"),
		zha("zha_bedroom_climate", "Bedroom climate", "LUMI", "lumi.weather", "sensor.bedroom_temperature", "sensor.bedroom_humidity"),
		zha("zha_bathroom_climate", "Bathroom climate", "LUMI", "lumi.weather", "sensor.bathroom_temperature", "sensor.bathroom_humidity"),
		zha("zha_outdoor_climate", "Outdoor climate", "LUMI", "lumi.weather", "sensor.outdoor_temperature", "sensor.outdoor_humidity"),
		zha("zha_kitchen_climate", "Kitchen climate", "LUMI", "lumi.weather", "sensor.kitchen_temperature"),
		zha("zha_office_climate", "Office climate", "LUMI", "lumi.weather", "sensor.office_temperature"),
		zha("zha_garage_climate", "Garage climate", "LUMI", "lumi.weather", "sensor.garage_temperature"),
		zha("zha_front_door", "Front door", "LUMI", "lumi.sensor_magnet.aq2", "binary_sensor.front_door"),
		zha("zha_back_door", "Back door", "LUMI", "lumi.sensor_magnet.aq2", "binary_sensor.back_door"),
		zha("zha_bedroom_window", "Bedroom window", "LUMI", "lumi.sensor_magnet.aq2", "binary_sensor.bedroom_window"),
		zha("zha_bedroom_blinds", "Bedroom blinds", "IKEA of Sweden", "FYRTUR block-out roller blind", "cover.bedroom_blinds"),
		zha("zha_living_room_curtains", "Living room curtains", "IKEA of Sweden", "PRAKTLYSING cellular blind", "cover.living_room_curtains"),
		{key: "tado_living_room", name: "Living room thermostat", manufacturer: "tado", model: "Smart Radiator Thermostat", modelID: "VA02",
			integration: "tado", sw: "109.2", entities: []string{"climate.living_room"}},
		{key: "tado_bedroom", name: "Bedroom thermostat", manufacturer: "tado", model: "Smart Radiator Thermostat", modelID: "VA02",
			integration: "tado", sw: "109.2", entities: []string{"climate.bedroom"}},
		{key: "nuki_front_door", name: "Front door lock", manufacturer: "Nuki Home Solutions GmbH", model: "Nuki Smart Lock 3.0 Pro",
			integration: "nuki", link: "mac", sw: "3.8.4", entities: []string{"lock.front_door"}},
		{key: "nuki_back_door", name: "Back door lock", manufacturer: "Nuki Home Solutions GmbH", model: "Nuki Smart Lock 3.0 Pro",
			integration: "nuki", link: "mac", sw: "3.8.4", entities: []string{"lock.back_door"}},
		{key: "sonos_kitchen", name: "Kitchen speaker", manufacturer: "Sonos", model: "One", modelID: "S18",
			integration: "sonos", link: "mac", sw: "16.3", entities: []string{"media_player.kitchen_speaker"}},
		{key: "webostv_living_room", name: "Living room TV", manufacturer: "LG", model: "OLED55C14LB",
			integration: "webostv", link: "mac", sw: "03.34.95", entities: []string{"media_player.living_room_tv"}},
		{key: "reolink_driveway", name: "Driveway", manufacturer: "Reolink", model: "RLC-810A",
			integration: "reolink", link: "mac", sw: "v3.1.0.2368", entities: []string{"camera.driveway"}},
		{key: "reolink_back_garden", name: "Back garden", manufacturer: "Reolink", model: "RLC-810A",
			integration: "reolink", link: "mac", sw: "v3.1.0.2368", entities: []string{"camera.back_garden"}},
		{key: "dana_phone", name: "Dana's phone", manufacturer: "Google", model: "Pixel 8",
			integration: "mobile_app", sw: "15", entities: []string{"sensor.dana_phone_battery"}},
		{key: "p1_meter", name: "P1 meter", manufacturer: "HomeWizard", model: "Wi-Fi P1 Meter", modelID: "HWE-P1",
			integration: "homewizard", link: "mac", sw: "4.19", entities: []string{"sensor.home_power"}},
		{key: "sun", name: "Sun", integration: "sun", service: true, entities: []string{"sun.sun"}},
		// A child device without an area of its own: in its parent's area, the garage.
		{key: "shelly_garage_door_meter", name: "Garage door energy meter", manufacturer: "Shelly", model: "Shelly Plus 2PM",
			modelID: "SNSW-102P16EU", integration: "shelly", parent: "shelly_garage_door", sw: "1.4.4",
			entities: []string{"sensor.garage_door_energy"}},
	}
}

// builtinFloors are the floors of the home's areas, with their levels.
func builtinFloors() []FloorEntry {
	return []FloorEntry{
		{FloorID: "ground_floor", Name: "Ground floor", Level: 0, Icon: "mdi:home-floor-0", Aliases: []string{"Downstairs"}},
		{FloorID: "first_floor", Name: "First floor", Level: 1, Icon: "mdi:home-floor-1", Aliases: []string{"Upstairs"}},
	}
}

// builtinLabels are the labels the home's areas and entities carry.
func builtinLabels() []LabelEntry {
	return []LabelEntry{
		{LabelID: "energy", Name: "Energy", Color: "amber", Icon: "mdi:lightning-bolt"},
		{LabelID: "outdoor", Name: "Outdoor", Color: "green", Icon: "mdi:tree"},
		{LabelID: "security", Name: "Security", Color: "red", Icon: "mdi:shield-home", Description: "Doors, locks and cameras"},
	}
}

// entityAreas are the entities with an area of their own: automations and scripts have no device.
var entityAreas = map[string]string{
	"script.movie_time": "living_room", "script.morning_coffee": "kitchen",
	"automation.welcome_home": "hallway", "automation.kitchen_lights_on_motion": "kitchen",
}

// entityLabels are the labels of the home's entities.
var entityLabels = map[string][]string{
	"sensor.outdoor_temperature": {"outdoor"}, "sensor.outdoor_humidity": {"outdoor"}, "light.garden": {"outdoor"},
	"binary_sensor.garden_motion": {"outdoor"}, "switch.garden_pump": {"outdoor"},
	"camera.driveway": {"outdoor", "security"}, "camera.back_garden": {"outdoor", "security"},
	"lock.front_door": {"security"}, "lock.back_door": {"security"}, "binary_sensor.front_door": {"security"},
	"binary_sensor.back_door": {"security"}, "binary_sensor.bedroom_window": {"security"},
	"sensor.home_power": {"energy"}, "sensor.washer_power": {"energy"}, "sensor.fridge_power": {"energy"},
}

// registryIDs draws the ids and times of registry entries from the home's identity randomness.
type registryIDs struct {
	r     *rand.Rand
	start time.Time
}

func (g registryIDs) hex() string { return hexID(g.r, 16) }

// past is a moment in the 400 days before start, as registries' created_at.
func (g registryIDs) past() time.Time {
	return g.start.Add(-time.Duration(g.r.Int64N(int64(400 * 24 * time.Hour)))).Truncate(time.Microsecond)
}

// address is a MAC address, or a Zigbee IEEE address (LUMI's prefix) for kind "zigbee".
func (g registryIDs) address(kind string) string {
	b, n := []string{}, 6
	if kind == "zigbee" {
		b, n = []string{"00", "15", "8d", "00"}, 8
	}
	for len(b) < n {
		b = append(b, fmt.Sprintf("%02x", g.r.IntN(256)))
	}
	return strings.Join(b, ":")
}

// newRegistry builds the registries of h's home: every area, every device with its config entry,
// and an entity entry for every entity of the home.
func newRegistry(h *home, start time.Time, identity *rand.Rand) *registry {
	g := registryIDs{r: identity, start: start}
	r := &registry{entities: make(map[string]*EntityEntry), ids: g, configEntries: map[string]string{}, listed: map[string]int{}}
	for _, a := range builtinAreas() {
		created := g.past()
		r.areas = append(r.areas, &AreaEntry{AreaID: a.id, Name: a.name, FloorID: a.floor, Icon: a.icon,
			Aliases: slices.Clone(a.aliases), Labels: slices.Clone(a.labels), TemperatureEntityID: a.temperature,
			HumidityEntityID: a.humidity, MotionEntityID: a.motion, CreatedAt: created, ModifiedAt: created})
	}
	for _, f := range builtinFloors() {
		f.CreatedAt = g.past()
		f.ModifiedAt = f.CreatedAt
		r.floors = append(r.floors, f)
	}
	for _, l := range builtinLabels() {
		l.CreatedAt = g.past()
		l.ModifiedAt = l.CreatedAt
		r.labels = append(r.labels, l)
	}
	for _, d := range builtinDevices() {
		if d.parent != "" && !h.shape.childDevices { // older cores: the parent holds the child's entities
			for _, id := range d.entities {
				r.addEntity(h, id, r.deviceByKey(d.parent), g)
			}
			continue
		}
		r.addDevice(h, d, g, r.configEntries)
	}
	for _, id := range h.sortedEntityIDs() {
		if r.entities[id] == nil {
			r.addEntity(h, id, nil, g)
		}
	}
	for _, a := range h.spec.automations {
		r.entities[a.id].UniqueID = a.configID // automations.yaml ids
	}
	if !h.shape.labelsFloors {
		r.dropLabelsFloors()
	}
	return r
}

// dropLabelsFloors empties the floors and labels of a core older than 2024.4, where nothing can
// make one: its registries are there, with nothing in them.
func (r *registry) dropLabelsFloors() {
	r.floors, r.labels = nil, nil
	for _, a := range r.areas {
		a.FloorID, a.Labels = "", nil
	}
	for _, d := range r.devices {
		d.Labels = nil
	}
	for _, e := range r.entities {
		e.Labels = nil
	}
}

// addDevice registers a device and its entities.
func (r *registry) addDevice(h *home, d deviceSpec, g registryIDs, entries map[string]string) *DeviceEntry {
	created := g.past()
	if entries[d.integration] == "" || d.integration == "mobile_app" {
		entries[d.integration] = hastamp.ULID(created, g.r)
	}
	dev := &DeviceEntry{ID: g.hex(), Name: d.name, Manufacturer: d.manufacturer, Model: d.model, ModelID: d.modelID,
		AreaID: d.area, ConfigEntries: []string{entries[d.integration]}, PrimaryConfigEntry: entries[d.integration],
		Identifiers: [][2]string{{d.integration, d.key}}, SWVersion: d.sw, CreatedAt: created, ModifiedAt: created}
	if d.link != "" {
		dev.Connections = [][2]string{{d.link, g.address(d.link)}}
	}
	if d.service {
		dev.EntryType = "service"
	}
	if via := r.deviceByKey(d.via); via != nil {
		dev.ViaDeviceID = via.ID
	}
	if parent := r.deviceByKey(d.parent); parent != nil {
		dev.ParentDeviceID = parent.ID
	}
	if dev.AreaID == "" && len(d.entities) > 0 {
		dev.AreaID = h.specArea(d.entities[0])
	}
	r.devices = append(r.devices, dev)
	for _, id := range d.entities {
		r.addEntity(h, id, dev, g)
	}
	return dev
}

// deviceByKey returns the device of the built-in home with key (its identifier), nil when none.
func (r *registry) deviceByKey(key string) *DeviceEntry {
	i := slices.IndexFunc(r.devices, func(x *DeviceEntry) bool { return key != "" && x.Identifiers[0][1] == key })
	if i < 0 {
		return nil
	}
	return r.devices[i]
}

// addEntity registers an entity, with its device (nil for automations, scripts and people). An
// entity named as its device is is the device's main entity (has_entity_name, no name of its
// own); the others keep their own names, as older integrations do.
func (r *registry) addEntity(h *home, id string, dev *DeviceEntry, g registryIDs) {
	domain, object, _ := strings.Cut(id, ".")
	name, _ := h.states[id].Attributes["friendly_name"].(string)
	e := &EntityEntry{EntityID: id, ID: g.hex(), Platform: domain, UniqueID: object, AreaID: entityAreas[id],
		Labels: slices.Clone(entityLabels[id]), OriginalName: name, CreatedAt: g.past()}
	e.ModifiedAt = e.CreatedAt
	if dev != nil {
		e.Platform = dev.Identifiers[0][0]
		e.DeviceID, e.ConfigEntryID = dev.ID, dev.PrimaryConfigEntry
		e.UniqueID = dev.Identifiers[0][1] + "-" + object
		if name == dev.Name {
			e.HasEntityName, e.OriginalName = true, ""
		}
	}
	r.entities[id] = e
}

// specArea is the area home.go gives an entity, "" when none.
func (h *home) specArea(id string) string {
	sp := &h.spec
	for _, l := range sp.lights {
		if l.id == id {
			return l.area
		}
	}
	for _, m := range sp.media {
		if m.id == id {
			return m.area
		}
	}
	for _, c := range sp.cameras {
		if c.id == id {
			return c.area
		}
	}
	for _, e := range sp.entities {
		if e.id == id {
			return e.area
		}
	}
	return ""
}

// titleOf makes an area's name from its id: "guest_room" → "Guest room".
func titleOf(id string) string {
	s := strings.ReplaceAll(id, "_", " ")
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}
