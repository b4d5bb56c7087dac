package writer

import (
	"errors"
	"time"

	"hasse/internal/format"
	"hasse/internal/hass"
)

// Source is one client's stream as the hub queues it; hub.Client is one. The writer takes the
// backlog once, then what is queued whenever it is woken, and says the last words once Done is
// closed.
type Source interface {
	// Kind returns the stream's wire format.
	Kind() format.Kind
	// Wake has wake called, at once and then whenever there is something new (a frame queued,
	// or the end), without blocking. A later call replaces an earlier one.
	Wake(wake func())
	// Backlog hands over what the stream is owed before anything queued: the states of its
	// snapshot (nil: none), then the frames its resume replays.
	Backlog() (snapshot []hass.State, replay []*format.Frame)
	// Next appends every frame queued, and the receive time of each event among them.
	Next(dst []byte, received []time.Time) ([]byte, []time.Time)
	// Done is closed when the hub has ended the stream; Err then says why, as an error whose
	// Reason method names it on the wire (hub.Ending).
	Done() <-chan struct{}
	Err() error
	// Ended reports, without blocking, whether Done is closed; it is cheaper than a receive, for
	// a writer that asks on every write.
	Ended() bool
	// Delivered is told of the events of a write at now, Replayed of the backlog's, Wrote of
	// the bytes each write put on the connection, as they go, and WriteFailed of a write that
	// failed with the number of events it carried.
	Delivered(now time.Time, received []time.Time)
	Replayed(now time.Time, events int)
	Wrote(n int)
	WriteFailed(events int)
	// Close unregisters the stream once its connection is done with.
	Close()
}

// reason returns the word src's Err names its end with (hub.Ending's values: a
// [format.ErrorCode] or a [format.DisconnectReason]); "" before the end.
func reason(src Source) string {
	var r interface{ Reason() string }
	if errors.As(src.Err(), &r) {
		return r.Reason()
	}
	return ""
}

// dropped reports whether the hub has ended src for not keeping up.
func dropped(src Source) bool {
	select {
	case <-src.Done():
		return reason(src) == string(format.ErrorSlowConsumer)
	default:
		return false
	}
}
