package simulator

// This file is data: the built-in home the simulator starts with. Behaviour lives in
// activity.go, automation.go and services.go; attribute shapes follow HA-PROTOCOL.md §17.

// entitySpec is one entity as the home starts.
type entitySpec struct {
	id    string
	area  string // area id, for the registries
	state string
	attrs map[string]any
}

// lightSpec is a light: what it can do, and its state at start.
type lightSpec struct {
	id, name, area string
	modes          []string // supported_color_modes: onoff, brightness, color_temp, xy, hs
	effects        []string // effect_list; nil when it has no effects
	features       int      // supported_features
	on             bool
	brightness     int // 1–255
	kelvin         int // colour temperature when on, for color_temp lights
}

// mediaSpec is a media player and the things it plays.
type mediaSpec struct {
	id, name, area string
	deviceClass    string
	sources        []string
	features       int
	state          string
}

// track is something a media player plays.
type track struct {
	title, artist, album, contentID string
	duration                        int // seconds
}

// cameraSpec is a camera.
type cameraSpec struct {
	id, name, area string
	state          string // idle, recording, streaming
	features       int
}

// personSpec is a person of the home, tied to one of its users.
type personSpec struct {
	id, name, slug string
	user           int    // index into the Simulator's users
	tracker        string // the device tracker that places them
	state          string
}

// trigger fires an automation when entity's state changes to to.
type trigger struct {
	entity, to string
}

// action is one service call of an automation or script.
type action struct {
	domain, service string
	entities        []string
	data            map[string]any
}

// automationSpec is an automation: when its trigger fires, its actions run.
type automationSpec struct {
	id, name string
	configID string // the "id" attribute from automations.yaml
	enabled  bool
	trigger  trigger
	actions  []action
}

// scriptSpec is a script: a named sequence of service calls.
type scriptSpec struct {
	id, name string
	actions  []action
}

// homeSpec is a whole home.
type homeSpec struct {
	lights      []lightSpec
	media       []mediaSpec
	tracks      []track
	cameras     []cameraSpec
	persons     []personSpec
	entities    []entitySpec // everything else
	automations []automationSpec
	scripts     []scriptSpec
}

// builtinHome is the home every Simulator simulates: 66 entities in eight areas (the devices
// that hold them and their registry entries are in registry_data.go).
func builtinHome() homeSpec {
	return homeSpec{
		lights: []lightSpec{
			{id: "light.living_room", name: "Living room ceiling", area: "living_room", modes: []string{"color_temp", "xy"}, effects: []string{"none", "colorloop"}, features: 44, on: true, brightness: 180, kelvin: 2900},
			{id: "light.living_room_lamp", name: "Living room lamp", area: "living_room", modes: []string{"brightness"}, features: 32, brightness: 120},
			{id: "light.kitchen", name: "Kitchen", area: "kitchen", modes: []string{"brightness"}, features: 32, brightness: 204},
			{id: "light.kitchen_island", name: "Kitchen island", area: "kitchen", modes: []string{"color_temp"}, features: 32, brightness: 255, kelvin: 4000},
			{id: "light.hall", name: "Hall", area: "hallway", modes: []string{"brightness"}, features: 32, brightness: 150},
			{id: "light.bedroom", name: "Bedroom", area: "bedroom", modes: []string{"color_temp", "hs"}, features: 32, brightness: 90, kelvin: 2700},
			{id: "light.bathroom", name: "Bathroom", area: "bathroom", modes: []string{"brightness"}, features: 32, brightness: 230},
			{id: "light.office_desk", name: "Office desk lamp", area: "office", modes: []string{"color_temp"}, features: 32, on: true, brightness: 255, kelvin: 5000},
			{id: "light.garage", name: "Garage", area: "garage", modes: []string{"onoff"}},
			{id: "light.garden", name: "Garden", area: "garden", modes: []string{"onoff"}},
		},
		media: []mediaSpec{
			{id: "media_player.kitchen_speaker", name: "Kitchen speaker", area: "kitchen", deviceClass: "speaker", sources: []string{"Radio", "Spotify"}, features: 154559, state: "playing"},
			{id: "media_player.living_room_tv", name: "Living room TV", area: "living_room", deviceClass: "tv", sources: []string{"HDMI 1", "HDMI 2", "Netflix", "YouTube"}, features: 152461, state: "off"},
		},
		tracks: []track{
			{"Blue Hour", "The Quiet Set", "Evenings", "spotify:track:2Tz0abcQ8", 245},
			{"Paper Boats", "Lena Marsh", "Harbour Lights", "spotify:track:7Hq2LmXy1", 198},
			{"Night Drive", "Orbit Kids", "Static", "spotify:track:4Rt9PwZk3", 312},
			{"Slow Tide", "The Quiet Set", "Evenings", "spotify:track:1Bc8NvYt6", 227},
		},
		cameras: []cameraSpec{
			{id: "camera.driveway", name: "Driveway", area: "garden", state: "idle", features: 2},
			{id: "camera.back_garden", name: "Back garden", area: "garden", state: "recording", features: 2},
		},
		persons: []personSpec{
			{id: "person.dana", name: "Dana", slug: "dana", user: 0, tracker: "device_tracker.dana_phone", state: "home"},
			{id: "person.alex", name: "Alex", slug: "alex", user: 1, tracker: "device_tracker.alex_phone", state: "not_home"},
		},
		entities: []entitySpec{
			outlet("switch.coffee_machine", "Coffee machine", "kitchen", "off"),
			outlet("switch.tv_power", "TV power", "living_room", "on"),
			outlet("switch.office_heater", "Office heater", "office", "off"),
			{id: "switch.garden_pump", area: "garden", state: "off", attrs: map[string]any{"device_class": "switch", "friendly_name": "Garden pump"}},
			{id: "switch.bathroom_fan", area: "bathroom", state: "off", attrs: map[string]any{"device_class": "switch", "friendly_name": "Bathroom fan"}},

			measurement("sensor.living_room_temperature", "Living room temperature", "living_room", "21.4", "°C", "temperature"),
			measurement("sensor.kitchen_temperature", "Kitchen temperature", "kitchen", "22.1", "°C", "temperature"),
			measurement("sensor.bedroom_temperature", "Bedroom temperature", "bedroom", "19.2", "°C", "temperature"),
			measurement("sensor.bathroom_temperature", "Bathroom temperature", "bathroom", "23.0", "°C", "temperature"),
			measurement("sensor.office_temperature", "Office temperature", "office", "20.6", "°C", "temperature"),
			measurement("sensor.garage_temperature", "Garage temperature", "garage", "7.9", "°C", "temperature"),
			measurement("sensor.outdoor_temperature", "Outdoor temperature", "garden", "9.8", "°C", "temperature"),
			measurement("sensor.living_room_humidity", "Living room humidity", "living_room", "45", "%", "humidity"),
			measurement("sensor.bedroom_humidity", "Bedroom humidity", "bedroom", "51", "%", "humidity"),
			measurement("sensor.bathroom_humidity", "Bathroom humidity", "bathroom", "63", "%", "humidity"),
			measurement("sensor.outdoor_humidity", "Outdoor humidity", "garden", "78", "%", "humidity"),
			measurement("sensor.washer_power", "Washer power", "bathroom", "0.0", "W", "power"),
			measurement("sensor.fridge_power", "Fridge power", "kitchen", "84.3", "W", "power"),
			measurement("sensor.office_desk_power", "Office desk power", "office", "112.7", "W", "power"),
			measurement("sensor.home_power", "Home power", "", "742.9", "W", "power"),

			binarySensor("binary_sensor.hall_motion", "Hall motion", "hallway", "off", "motion"),
			binarySensor("binary_sensor.kitchen_motion", "Kitchen motion", "kitchen", "off", "motion"),
			binarySensor("binary_sensor.living_room_motion", "Living room motion", "living_room", "on", "motion"),
			binarySensor("binary_sensor.garage_motion", "Garage motion", "garage", "off", "motion"),
			binarySensor("binary_sensor.garden_motion", "Garden motion", "garden", "off", "motion"),
			binarySensor("binary_sensor.front_door", "Front door", "hallway", "off", "door"),
			binarySensor("binary_sensor.back_door", "Back door", "kitchen", "off", "door"),
			binarySensor("binary_sensor.bedroom_window", "Bedroom window", "bedroom", "off", "window"),

			{id: "climate.living_room", area: "living_room", state: "heat", attrs: map[string]any{
				"hvac_modes": []any{"off", "heat", "auto"}, "min_temp": 7, "max_temp": 35, "target_temp_step": 0.5,
				"preset_modes": []any{"eco", "comfort", "away"}, "current_temperature": 20.5, "temperature": 21.5,
				"hvac_action": "heating", "preset_mode": "comfort", "friendly_name": "Living room thermostat", "supported_features": 401,
			}},
			{id: "climate.bedroom", area: "bedroom", state: "auto", attrs: map[string]any{
				"hvac_modes": []any{"off", "heat", "auto"}, "min_temp": 7.5, "max_temp": 30, "target_temp_step": 0.5,
				"preset_modes": []any{"eco", "comfort", "away"}, "current_temperature": 19.0, "temperature": 18.5,
				"hvac_action": "idle", "preset_mode": "eco", "friendly_name": "Bedroom thermostat", "supported_features": 401,
			}},

			cover("cover.bedroom_blinds", "Bedroom blinds", "bedroom", "open", 70, "blind"),
			cover("cover.living_room_curtains", "Living room curtains", "living_room", "open", 100, "curtain"),
			cover("cover.garage_door", "Garage door", "garage", "closed", 0, "garage"),

			{id: "lock.front_door", area: "hallway", state: "locked", attrs: map[string]any{"friendly_name": "Front door lock", "supported_features": 0}},
			{id: "lock.back_door", area: "kitchen", state: "unlocked", attrs: map[string]any{"friendly_name": "Back door lock", "supported_features": 0}},

			{id: "sensor.dana_phone_battery", area: "", state: "76", attrs: map[string]any{"state_class": "measurement", "unit_of_measurement": "%", "device_class": "battery", "friendly_name": "Dana's phone battery"}},
			{id: "sensor.garage_door_energy", area: "", state: "12.84", attrs: map[string]any{"state_class": "total_increasing", "unit_of_measurement": "kWh", "device_class": "energy", "friendly_name": "Garage door energy"}},
		},
		automations: []automationSpec{
			{id: "automation.hall_light_on_motion", name: "Hall light on motion", configID: "1718011223344", enabled: true,
				trigger: trigger{"binary_sensor.hall_motion", "on"},
				actions: []action{{domain: "light", service: "turn_on", entities: []string{"light.hall"}, data: map[string]any{"brightness_pct": 80}}}},
			{id: "automation.hall_light_off_when_clear", name: "Hall light off when clear", configID: "1718011223345", enabled: true,
				trigger: trigger{"binary_sensor.hall_motion", "off"},
				actions: []action{{domain: "light", service: "turn_off", entities: []string{"light.hall"}}}},
			{id: "automation.kitchen_lights_on_motion", name: "Kitchen lights on motion", configID: "1718011224410", enabled: true,
				trigger: trigger{"binary_sensor.kitchen_motion", "on"},
				actions: []action{{domain: "light", service: "turn_on", entities: []string{"light.kitchen", "light.kitchen_island"}}}},
			{id: "automation.garden_light_on_motion", name: "Garden light on motion", configID: "1718011225521", enabled: true,
				trigger: trigger{"binary_sensor.garden_motion", "on"},
				actions: []action{{domain: "light", service: "turn_on", entities: []string{"light.garden"}}}},
			{id: "automation.garage_light_follows_motion", name: "Garage light follows motion", configID: "1718011226632", enabled: true,
				trigger: trigger{"binary_sensor.garage_motion", "off"},
				actions: []action{{domain: "light", service: "turn_off", entities: []string{"light.garage"}}}},
			{id: "automation.lock_front_door_when_closed", name: "Lock front door when closed", configID: "1718011227743", enabled: true,
				trigger: trigger{"binary_sensor.front_door", "off"},
				actions: []action{{domain: "lock", service: "lock", entities: []string{"lock.front_door"}}}},
			{id: "automation.ventilate_bathroom", name: "Ventilate bathroom", configID: "1718011228854", enabled: true,
				trigger: trigger{"light.bathroom", "off"},
				actions: []action{{domain: "switch", service: "turn_on", entities: []string{"switch.bathroom_fan"}}}},
			{id: "automation.welcome_home", name: "Welcome home", configID: "1718011229965", enabled: true,
				trigger: trigger{"person.dana", "home"},
				actions: []action{
					{domain: "light", service: "turn_on", entities: []string{"light.living_room"}, data: map[string]any{"brightness": 200}},
					{domain: "climate", service: "set_temperature", entities: []string{"climate.living_room"}, data: map[string]any{"temperature": 21.5}},
				}},
			{id: "automation.holiday_lights", name: "Holiday lights", configID: "1718011230076", enabled: false,
				trigger: trigger{"sun.sun", "below_horizon"},
				actions: []action{{domain: "light", service: "turn_on", entities: []string{"light.garden"}}}},
		},
		scripts: []scriptSpec{
			{id: "script.good_night", name: "Good night", actions: []action{
				{domain: "light", service: "turn_off", entities: []string{"light.living_room", "light.living_room_lamp", "light.kitchen", "light.hall"}},
				{domain: "lock", service: "lock", entities: []string{"lock.front_door", "lock.back_door"}},
				{domain: "cover", service: "close_cover", entities: []string{"cover.bedroom_blinds"}},
				{domain: "climate", service: "set_temperature", entities: []string{"climate.bedroom"}, data: map[string]any{"temperature": 17.5}},
			}},
			{id: "script.movie_time", name: "Movie time", actions: []action{
				{domain: "light", service: "turn_on", entities: []string{"light.living_room"}, data: map[string]any{"brightness_pct": 20}},
				{domain: "cover", service: "close_cover", entities: []string{"cover.living_room_curtains"}},
				{domain: "media_player", service: "turn_on", entities: []string{"media_player.living_room_tv"}},
			}},
			{id: "script.morning_coffee", name: "Morning coffee", actions: []action{
				{domain: "switch", service: "turn_on", entities: []string{"switch.coffee_machine"}},
				{domain: "light", service: "turn_on", entities: []string{"light.kitchen"}, data: map[string]any{"brightness_pct": 100}},
			}},
		},
	}
}

// haConfig is get_config's answer (HA-PROTOCOL.md §9) for a home on version.
func haConfig(version string, components []string) object {
	return object{
		{"allowlist_external_dirs", []any{"/config/www", "/media"}},
		{"allowlist_external_urls", []any{}},
		{"components", components},
		{"config_dir", "/config"},
		{"config_source", "storage"},
		{"country", "NL"},
		{"currency", "EUR"},
		{"debug", false},
		{"elevation", 4},
		{"external_url", nil},
		{"internal_url", "http://homeassistant.local:8123"},
		{"language", "en"},
		{"latitude", 52.3731},
		{"location_name", "Home"},
		{"longitude", 4.8922},
		{"radius", 100},
		{"recovery_mode", false},
		{"safe_mode", false},
		{"state", "RUNNING"},
		{"time_zone", "Europe/Amsterdam"},
		{"unit_system", object{
			{"length", "km"}, {"accumulated_precipitation", "mm"}, {"area", "m²"}, {"mass", "g"},
			{"pressure", "Pa"}, {"temperature", "°C"}, {"volume", "L"}, {"wind_speed", "m/s"},
		}},
		{"version", version},
		{"whitelist_external_dirs", []any{"/config/www", "/media"}},
	}
}

// baseComponents are the integrations every home loads besides its entities' domains.
func baseComponents() []string {
	return []string{
		"api", "auth", "automation", "config", "frontend", "http", "homeassistant", "onboarding",
		"person", "script", "sensor.template", "sun", "websocket_api", "zone",
	}
}
