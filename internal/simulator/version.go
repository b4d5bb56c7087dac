package simulator

import (
	"strconv"
	"strings"
)

// shape is what the simulated core sends where Home Assistant's versions differ
// (HA-PROTOCOL.md §19), set by Config.Version.
type shape struct {
	// lastReported: states carry last_reported (2024.4 and later; older cores send six keys).
	lastReported bool
	// registryLists: label_registry/list and floor_registry/list exist and entity entries carry
	// labels, though nothing can set one yet (2024.3 and later; older cores answer those two
	// with unknown_command).
	registryLists bool
	// labelsFloors: areas carry floor_id and labels, devices labels, entities categories, and a
	// non-admin user may subscribe to the label, floor and category registries' updates (2024.4
	// and later).
	labelsFloors bool
	// childDevices: the device registry also lists child devices, with parent_device_id, which
	// are in their parent's area unless they have one of their own (2026.9 and later).
	childDevices bool
}

// newestShape is the shape of the newest cores.
func newestShape() shape {
	return shape{lastReported: true, registryLists: true, labelsFloors: true, childDevices: true}
}

// shapeOf returns the shape of Home Assistant version ("2024.3.3", "2026.9.0b1"). A version that
// is not year.month[.…] (a development build's name) gets the newest shape.
func shapeOf(version string) shape {
	year, month, ok := yearMonth(version)
	since := func(y, m int) bool { return !ok || year > y || year == y && month >= m }
	return shape{
		lastReported:  since(2024, 4),
		registryLists: since(2024, 3),
		labelsFloors:  since(2024, 4),
		childDevices:  since(2026, 9),
	}
}

// yearMonth reads the year and month of a version "YYYY.M[.…]".
func yearMonth(version string) (year, month int, ok bool) {
	y, rest, found := strings.Cut(version, ".")
	if !found {
		return 0, 0, false
	}
	m, _, _ := strings.Cut(rest, ".")
	year, errY := strconv.Atoi(y)
	month, errM := strconv.Atoi(m)
	if errY != nil || errM != nil || month < 1 || month > 12 {
		return 0, 0, false
	}
	return year, month, true
}
