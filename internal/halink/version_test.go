package halink

import "testing"

func TestVersionAtLeast(t *testing.T) {
	for _, tc := range []struct {
		version string
		want    bool
	}{
		{"2024.3.3", false},
		{"2023.12.4", false},
		{"2024.4.0", true},
		{"2024.4", true},
		{"2026.9.0b1", true},
		{"2025.1.0", true},
		{"", true},
		{"dev", true},
		{"2024.13.0", true},
	} {
		if got := VersionAtLeast(tc.version, 2024, 4); got != tc.want {
			t.Errorf("VersionAtLeast(%q, 2024, 4) = %v, want %v", tc.version, got, tc.want)
		}
	}
}
