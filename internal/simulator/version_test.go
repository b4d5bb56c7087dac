package simulator

import "testing"

func TestShapeOf(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    shape
	}{
		{"2024.3.3", shape{registryLists: true}},
		{"2024.2.5", shape{}},
		{"2023.12.4", shape{}},
		{"2024.4.0", shape{lastReported: true, registryLists: true, labelsFloors: true}},
		{"2025.7.2", shape{lastReported: true, registryLists: true, labelsFloors: true}},
		{"2026.8.3", shape{lastReported: true, registryLists: true, labelsFloors: true}},
		{"2026.9.0b1", newestShape()},
		{"2027.1.0", newestShape()},
		{"dev", newestShape()},
		{"2024.13.0", newestShape()},
	} {
		if got := shapeOf(tc.version); got != tc.want {
			t.Errorf("shapeOf(%q) = %+v, want %+v", tc.version, got, tc.want)
		}
	}
}
