package writer

import (
	"cmp"
	"slices"
	"strings"
	"time"

	"hasse/internal/format"
	"hasse/internal/hass"
	"hasse/internal/random"
)

// appendLastWords appends what src is owed after the hub ended it: when the hub is stopping or an
// administrator closed it, the frames still queued, a retry hint (retry ±20 %) and a disconnect
// event; an error event when it was too slow (its queue is dropped: it holds a megabyte the
// client is not reading) or its token expired.
func appendLastWords(dst []byte, src Source, retry time.Duration, now time.Time) []byte {
	k := src.Kind()
	switch why := reason(src); why {
	case string(format.ErrorSlowConsumer):
		return format.AppendError(dst, k, format.ErrorSlowConsumer, "the client did not keep up with its events", now)
	case string(format.ErrorUnauthorized):
		return format.AppendError(dst, k, format.ErrorUnauthorized, "the token is no longer valid", now)
	default:
		dst, _ = src.Next(dst, nil)
		dst = format.AppendRetry(dst, random.Jitter(retry))
		return format.AppendDisconnect(dst, k, cmp.Or(format.DisconnectReason(why), format.DisconnectServerShutdown), now)
	}
}

// AppendSnapshot appends states in entity id order, each as a state_changed of that entity
// would carry it, then snapshot_complete. It sorts states in place.
func AppendSnapshot(dst []byte, k format.Kind, states []hass.State) []byte {
	slices.SortFunc(states, func(a, b hass.State) int { return strings.Compare(a.EntityID, b.EntityID) })
	for _, st := range states {
		dst = format.AppendState(dst, k, st.EntityID, st.Domain, st.State, st.JSON)
	}
	return format.AppendSnapshotComplete(dst, k, len(states))
}

// replayBatch is about how many bytes of a replay go out in one write.
const replayBatch = 64 << 10

// takeReplay moves about limit bytes of replay into dst and returns the rest and how many
// events it took; the frames taken are let go.
func takeReplay(dst []byte, k format.Kind, replay []*format.Frame, limit int) ([]byte, []*format.Frame, int) {
	n := 0
	for n < len(replay) && len(dst) < limit {
		dst = append(dst, replay[n].Bytes(k)...)
		replay[n] = nil
		n++
	}
	return dst, replay[n:], n
}
