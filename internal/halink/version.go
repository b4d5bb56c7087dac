package halink

import (
	"strconv"
	"strings"
)

// VersionAtLeast reports whether Home Assistant version ("2024.3.3", "2026.9.0b1") is year.month
// or later. A version that is not year.month[.…] (a development build's name, or "" when unknown)
// counts as the newest.
func VersionAtLeast(version string, year, month int) bool {
	y, rest, found := strings.Cut(version, ".")
	m, _, _ := strings.Cut(rest, ".")
	vy, errY := strconv.Atoi(y)
	vm, errM := strconv.Atoi(m)
	if !found || errY != nil || errM != nil || vm < 1 || vm > 12 {
		return true
	}
	return vy > year || vy == year && vm >= month
}
