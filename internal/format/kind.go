package format

import (
	"errors"
	"fmt"
	"strconv"
)

// Kind is a wire format of SPEC.md §4.3. The zero value is [Envelope].
type Kind uint8

const (
	// Envelope sends every event as an unnamed message (EventSource.onmessage fires) whose data is
	// {"id","type",…,"data","timestamp"}, with seed 2's type names (hass.Alias).
	Envelope Kind = iota
	// Named sends every event under HA's event type as the SSE event name
	// (addEventListener('state_changed', …) fires), with HA's event fields as data.
	Named
)

// ErrUnknownKind is wrapped by the error [ParseKind] returns for a name it does not know.
var ErrUnknownKind = errors.New("unknown format")

// ParseKind returns the Kind named s: "envelope" or "named", exactly. Anything else is an error
// wrapping [ErrUnknownKind].
func ParseKind(s string) (Kind, error) {
	switch s {
	case "envelope":
		return Envelope, nil
	case "named":
		return Named, nil
	}
	return Envelope, fmt.Errorf("%w %q: want envelope or named", ErrUnknownKind, s)
}

// String returns the name [ParseKind] reads: "envelope" or "named".
func (k Kind) String() string {
	switch k {
	case Envelope:
		return "envelope"
	case Named:
		return "named"
	}
	return "Kind(" + strconv.Itoa(int(k)) + ")"
}
