package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"hasse/internal/format"
	"hasse/internal/hub"
)

// Why the stream cannot serve a resume.
var (
	errOtherEpoch = errors.New("cluster: the stream is of another epoch")
	errTrimmed    = errors.New("cluster: the stream no longer holds the entry")
)

// rangePage is how many entries one XRANGE reads.
const rangePage = 1000

// lookBack is how many entries at or before a Last-Event-ID Locate reads to find the newest one
// a hub holds (link-down entries are not kept by hubs: they carry no id to clients).
const lookBack = 16

// Locate places a Last-Event-ID that a hub does not hold, for its resume (hub.History): an id of
// another epoch or one the stream never reached ends in a gap; one newer than floor, the newest
// entry the hub no longer holds, is resumed after the newest entry at or before it (which the hub
// may not have read yet); an older one is served from the stream (XRANGE), when the stream still
// holds it.
func (n *Node) Locate(ctx context.Context, lastID, floor string) hub.Location {
	epoch, id, ok := parseEventID(lastID)
	if !ok {
		return hub.Location{Gap: format.GapUnknownEventID}
	}
	var getEpoch *redis.StringCmd
	var before, newest *redis.XMessageSliceCmd
	_, err := n.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		getEpoch = p.Get(ctx, n.keys.epoch)
		before = p.XRevRangeN(ctx, n.keys.stream, id.String(), "-", lookBack)
		newest = p.XRevRangeN(ctx, n.keys.stream, "+", "-", 1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return hub.Location{Gap: format.GapUnknownEventID}
	}
	if getEpoch.Val() != epoch {
		return hub.Location{Gap: format.GapEpochChanged}
	}
	if msgs := newest.Val(); len(msgs) == 0 || newerThan(id, msgs[0].ID) {
		return hub.Location{Gap: format.GapUnknownEventID} // the stream never got there
	}
	floorEpoch, floorID, ok := parseEventID(floor)
	if !ok || floorEpoch != epoch || floorID.Less(id) {
		// Ahead of what the hub let go of: resume after the newest entry it keeps, up to id.
		for _, m := range before.Val() {
			at, ok := ParseStreamID(m.ID)
			if !ok || floorEpoch == epoch && !floorID.Less(at) {
				break
			}
			if kind, _ := m.Values["k"].(string); kind != kindLinkDown {
				return hub.Location{After: eventID(epoch, at)}
			}
		}
		if floorEpoch == epoch {
			return hub.Location{After: floor}
		}
		return hub.Location{Gap: format.GapUnknownEventID}
	}
	entries, err := n.rangeAfter(ctx, epoch, id, floorID)
	switch {
	case errors.Is(err, errOtherEpoch):
		return hub.Location{Gap: format.GapEpochChanged}
	case err != nil:
		return hub.Location{Gap: format.GapReplayWindowExceeded}
	}
	older := make([]hub.Entry, 0, len(entries))
	for _, e := range entries {
		switch e.kind {
		case kindEvent:
			older = append(older, hub.Entry{ID: e.ev.ID, Event: e.ev})
		case kindLinkUp:
			older = append(older, hub.Entry{ID: eventID(epoch, e.id), Gap: format.GapHAReconnected})
		case kindFailover:
			older = append(older, hub.Entry{ID: eventID(epoch, e.id), Gap: format.GapLeaderFailover})
		}
	}
	return hub.Location{Older: older}
}

// newerThan reports whether id comes after the stream id text newest.
func newerThan(id StreamID, newest string) bool {
	n, ok := ParseStreamID(newest)
	return ok && n.Less(id)
}

// rangeAfter returns the stream's entries after after, up to and including upTo, in order
// (XRANGE). It fails with errOtherEpoch when the stream is no longer of epoch, and with
// errTrimmed when it no longer holds the entry after: what followed it may be lost.
func (n *Node) rangeAfter(ctx context.Context, epoch string, after, upTo StreamID) ([]entry, error) {
	var out []entry
	start, end := after.String(), upTo.String()
	for first := true; ; first = false {
		var getEpoch *redis.StringCmd
		var rng *redis.XMessageSliceCmd
		_, err := n.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
			getEpoch = p.Get(ctx, n.keys.epoch)
			rng = p.XRangeN(ctx, n.keys.stream, start, end, rangePage)
			return nil
		})
		if err != nil && !errors.Is(err, redis.Nil) {
			return nil, err
		}
		if getEpoch.Val() != epoch {
			return nil, errOtherEpoch
		}
		msgs := rng.Val()
		full := len(msgs) == rangePage
		if first {
			if len(msgs) == 0 || msgs[0].ID != start {
				return nil, errTrimmed
			}
			msgs = msgs[1:]
		}
		for _, m := range msgs {
			e, _, err := decodeEntry(fieldsOf(m.ID, m.Values))
			if err != nil {
				return nil, fmt.Errorf("read the stream: %w", err)
			}
			out = append(out, e)
		}
		if !full {
			return out, nil
		}
		start = "(" + msgs[len(msgs)-1].ID
	}
}
