package hatest

import (
	"embed"
	"io/fs"
	"os"
	"path/filepath"
)

// haconfig is the committed offline home: configuration.yaml and nothing that reaches a network.
//
//go:embed all:haconfig
var haconfig embed.FS

// writeConfig copies the committed configuration into dir.
func writeConfig(dir string) error {
	sub, err := fs.Sub(haconfig, "haconfig")
	if err != nil {
		return err
	}
	return fs.WalkDir(sub, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		target := filepath.Join(dir, path)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := fs.ReadFile(sub, path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, 0o644)
	})
}

// Areas are the home's areas and the entities placed in them once the owner exists: entities by
// their own area, the sun's sensors by their device's.
var Areas = []Area{
	{ID: "kitchen", Name: "Kitchen", Entities: []string{
		"light.kitchen", "sensor.kitchen_temperature", "binary_sensor.kitchen_motion", "switch.coffee_machine"}},
	{ID: "living_room", Name: "Living Room", Entities: []string{"light.living_room", "sensor.living_room_temperature"}},
	{ID: "hall", Name: "Hall", Entities: []string{"binary_sensor.guest_present"}},
	{ID: "garden", Name: "Garden", DeviceOf: "sensor.sun_next_dawn"},
}

// Area is one area of the home and what is in it.
type Area struct {
	ID       string // the area id Home Assistant derives from Name
	Name     string
	Entities []string // placed in the area through the entity registry
	DeviceOf string   // this entity's device is placed in the area through the device registry
}
