package main

import (
	"hasse/internal/hastamp"
	"math/rand/v2"
	"strconv"
	"time"
)

// A bench entity is a dimmable light, light.bench_<i>, that the fake Home Assistant toggles on
// each event; its states and events are rendered as Home Assistant renders them
// (HA-PROTOCOL.md §7), with the publish stamp as the attribute "ts" of each event's new_state.

// benchLight is one entity's current state.
type benchLight struct {
	on      bool
	changed time.Time // last_changed, last_updated and last_reported: every write changes the state
	context string    // id of the context of the last change
}

// entityID is the id of bench entity i.
func entityID(i int) string { return "light.bench_" + strconv.Itoa(i) }

// appendState renders entity i's state l; stamp ≥ 0 adds the attribute "ts".
func appendState(b []byte, i int, l benchLight, stamp int64) []byte {
	b = append(b, `{"entity_id":"light.bench_`...)
	b = strconv.AppendInt(b, int64(i), 10)
	if l.on {
		b = append(b, `","state":"on","attributes":{`...)
	} else {
		b = append(b, `","state":"off","attributes":{`...)
	}
	if stamp >= 0 {
		b = append(b, `"ts":`...)
		b = strconv.AppendInt(b, stamp, 10)
		b = append(b, ',')
	}
	if l.on {
		b = append(b, `"supported_color_modes":["brightness"],"color_mode":"brightness","brightness":255`...)
	} else {
		b = append(b, `"supported_color_modes":["brightness"],"color_mode":null,"brightness":null`...)
	}
	b = append(b, `,"friendly_name":"Bench `...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","supported_features":32},"last_changed":"`...)
	b = hastamp.AppendTime(b, l.changed)
	b = append(b, `","last_reported":"`...)
	b = hastamp.AppendTime(b, l.changed)
	b = append(b, `","last_updated":"`...)
	b = hastamp.AppendTime(b, l.changed)
	b = append(b, `","context":`...)
	b = appendContext(b, l.context)
	return append(b, '}')
}

// appendStateChanged renders the event message of subscription sub for entity i changing from
// old to cur, stamped with stamp. As in Home Assistant, "id" is the message's last key.
func appendStateChanged(b []byte, sub int64, i int, old, cur benchLight, stamp int64) []byte {
	b = append(b, `{"type":"event","event":{"event_type":"state_changed","data":{"entity_id":"light.bench_`...)
	b = strconv.AppendInt(b, int64(i), 10)
	b = append(b, `","old_state":`...)
	b = appendState(b, i, old, -1)
	b = append(b, `,"new_state":`...)
	b = appendState(b, i, cur, stamp)
	b = append(b, `},"origin":"LOCAL","time_fired":"`...)
	b = hastamp.AppendTime(b, cur.changed)
	b = append(b, `","context":`...)
	b = appendContext(b, cur.context)
	b = append(b, `},"id":`...)
	b = strconv.AppendInt(b, sub, 10)
	return append(b, '}')
}

// appendContext renders a context with no parent and no user.
func appendContext(b []byte, id string) []byte {
	b = append(b, `{"id":"`...)
	b = append(b, id...)
	return append(b, `","parent_id":null,"user_id":null}`...)
}

// newHexID returns 32 random hex digits, the shape of Home Assistant's user and registry ids.
func newHexID() string {
	const hex = "0123456789abcdef"
	var out [32]byte
	for i := 0; i < 32; i += 16 {
		v := rand.Uint64()
		for j := range 16 {
			out[i+j] = hex[v&15]
			v >>= 4
		}
	}
	return string(out[:])
}
