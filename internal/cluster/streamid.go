package cluster

import (
	"cmp"
	"strconv"
	"strings"
)

// StreamID is the id Redis gives an entry of the cluster's stream (SPEC.md §7): the
// milliseconds of its clock and a sequence within them. Ids grow strictly with each entry; the
// zero StreamID comes before every entry.
type StreamID struct {
	MS, Seq uint64
}

// ParseStreamID reads "<ms>-<seq>", as Redis writes stream ids.
func ParseStreamID(s string) (StreamID, bool) {
	msText, seqText, ok := strings.Cut(s, "-")
	if !ok {
		return StreamID{}, false
	}
	ms, err1 := strconv.ParseUint(msText, 10, 64)
	seq, err2 := strconv.ParseUint(seqText, 10, 64)
	if err1 != nil || err2 != nil {
		return StreamID{}, false
	}
	return StreamID{ms, seq}, true
}

// String writes the id as Redis does: "<ms>-<seq>".
func (id StreamID) String() string {
	b := strconv.AppendUint(make([]byte, 0, 32), id.MS, 10)
	b = append(b, '-')
	return string(strconv.AppendUint(b, id.Seq, 10))
}

// Compare returns -1, 0 or +1 as id comes before, is, or comes after other.
func (id StreamID) Compare(other StreamID) int {
	return cmp.Or(cmp.Compare(id.MS, other.MS), cmp.Compare(id.Seq, other.Seq))
}

// Less reports whether id comes before other.
func (id StreamID) Less(other StreamID) bool { return id.Compare(other) < 0 }

// IsZero reports whether id is the zero StreamID, before every entry.
func (id StreamID) IsZero() bool { return id == StreamID{} }

// eventID is the id clients see of the stream's entry id in epoch: "<epoch>-<ms>-<seq>".
func eventID(epoch string, id StreamID) string { return epoch + "-" + id.String() }

// parseEventID splits an event id of the stream, "<epoch>-<ms>-<seq>"; false for any other
// shape, such as the "<epoch>-<sequence>" of a hub that numbers its own events.
func parseEventID(id string) (epoch string, sid StreamID, ok bool) {
	epoch, rest, ok := strings.Cut(id, "-")
	if !ok {
		return "", StreamID{}, false
	}
	sid, ok = ParseStreamID(rest)
	return epoch, sid, ok
}
