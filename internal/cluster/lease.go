package cluster

import (
	"context"
	"fmt"
	"time"

	"github.com/redis/go-redis/v9"

	"hasse/internal/hub"
)

// The lease (SPEC.md §7): SET NX PX takes it, a check-and-extend script renews it, a
// check-and-delete script gives it up. Only the instance whose id the key holds may extend or
// delete it, so a leader that was paused past its lease cannot take it back from its successor.

var renewScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('PEXPIRE', KEYS[1], ARGV[2])
end
return 0`)

var releaseScript = redis.NewScript(`
if redis.call('GET', KEYS[1]) == ARGV[1] then
	return redis.call('DEL', KEYS[1])
end
return 0`)

// acquire takes the lease, or finds it held by this instance still and extends it. When another
// instance holds it, it returns false and how long that lease has left.
func (n *Node) acquire(ctx context.Context) (bool, time.Duration, error) {
	ok, err := n.rdb.SetNX(ctx, n.keys.leader, n.cfg.Instance, n.cfg.Lease).Result()
	if err != nil || ok {
		return ok, 0, err
	}
	if ok, err = n.renew(ctx); err != nil || ok {
		return ok, 0, err
	}
	left, err := n.rdb.PTTL(ctx, n.keys.leader).Result()
	return false, max(left, 0), err
}

// renew extends the lease if this instance holds it, and reports whether it does.
func (n *Node) renew(ctx context.Context) (bool, error) {
	held, err := renewScript.Run(ctx, n.rdb, []string{n.keys.leader}, n.cfg.Instance, n.cfg.Lease.Milliseconds()).Int()
	return held == 1, err
}

// release gives the lease up, if this instance holds it, so that another takes over at once.
func (n *Node) release(ctx context.Context) error {
	return releaseScript.Run(ctx, n.rdb, []string{n.keys.leader}, n.cfg.Instance).Err()
}

// begin returns the stream's epoch, making one when Redis has none (at the first start, or after
// Redis lost its data: whoever makes it first wins, and empties the stream and the states of any
// older epoch; everyone reads the winner's), and the id of the stream's newest entry (zero when
// it has none). A leader's session begins with it: while this instance holds the lease no other
// writes the stream, so an entry newer than that one and the session's own is another
// leader's (feed.go).
func (n *Node) begin(ctx context.Context) (string, StreamID, error) {
	res, err := beginScript.Run(ctx, n.rdb, []string{n.keys.epoch, n.keys.stream, n.keys.states}, hub.NewEpoch()).StringSlice()
	if err != nil {
		return "", StreamID{}, err
	}
	if len(res) == 2 && res[0] != "" {
		if newest, ok := ParseStreamID(res[1]); ok {
			return res[0], newest, nil
		}
	}
	return "", StreamID{}, fmt.Errorf("begin: unexpected answer %q", res)
}

var beginScript = redis.NewScript(`
if redis.call('SET', KEYS[1], ARGV[1], 'NX') then
	redis.call('DEL', KEYS[2], KEYS[3])
end
local newest = '0-0'
if redis.call('EXISTS', KEYS[2]) == 1 then
	local info = redis.call('XINFO', 'STREAM', KEYS[2])
	for i = 1, #info, 2 do
		if info[i] == 'last-generated-id' then newest = info[i+1] end
	end
end
return {redis.call('GET', KEYS[1]), newest}`)
