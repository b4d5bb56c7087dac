package cluster

import (
	"context"
	"errors"
	"fmt"

	"github.com/redis/go-redis/v9"

	"hasse/internal/hub"
)

// Why the stream cannot serve a resume.
var (
	ErrEpochChanged = errors.New("cluster: the stream is of another epoch")
	ErrTrimmed      = errors.New("cluster: the stream no longer holds the entry")
)

// rangePage is how many entries one XRANGE reads.
const rangePage = 1000

// Range returns the stream's entries after after, up to and including upTo, in order (XRANGE),
// for a resume older than a hub's ring. It fails with [ErrEpochChanged] when the stream is no
// longer of epoch, and with [ErrTrimmed] when it no longer holds the entry after: what followed
// it may be lost.
func (n *Node) Range(ctx context.Context, epoch string, after, upTo hub.StreamID) ([]hub.Entry, error) {
	var out []hub.Entry
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
			return nil, ErrEpochChanged
		}
		msgs := rng.Val()
		full := len(msgs) == rangePage
		if first {
			if len(msgs) == 0 || msgs[0].ID != start {
				return nil, ErrTrimmed
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

// Newest returns the id of the stream's newest entry (zero when it has none); it fails with
// [ErrEpochChanged] when the stream is no longer of epoch.
func (n *Node) Newest(ctx context.Context, epoch string) (hub.StreamID, error) {
	var getEpoch *redis.StringCmd
	var rng *redis.XMessageSliceCmd
	_, err := n.rdb.TxPipelined(ctx, func(p redis.Pipeliner) error {
		getEpoch = p.Get(ctx, n.keys.epoch)
		rng = p.XRevRangeN(ctx, n.keys.stream, "+", "-", 1)
		return nil
	})
	if err != nil && !errors.Is(err, redis.Nil) {
		return hub.StreamID{}, err
	}
	if getEpoch.Val() != epoch {
		return hub.StreamID{}, ErrEpochChanged
	}
	if msgs := rng.Val(); len(msgs) > 0 {
		id, _ := hub.ParseStreamID(msgs[0].ID)
		return id, nil
	}
	return hub.StreamID{}, nil
}
