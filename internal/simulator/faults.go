package simulator

import (
	"context"
	"strconv"
	"time"
)

// This file is fault injection: what a gateway must survive from Home Assistant, on demand.
// Tests call these methods; demos set the Config fields. Every method is safe for concurrent use
// and acts on the connections open when it runs on Run's goroutine.

// DropConnections ends every open WebSocket connection abruptly, as a crash or a network failure
// does: no close frame, and on TCP a reset (SO_LINGER 0) rather than an orderly FIN, so the
// client's next read fails with ECONNRESET. Messages still queued are lost. New connections are
// served as usual.
func (s *Simulator) DropConnections() {
	s.do(context.Background(), (*home).dropConnections)
}

func (h *home) dropConnections() {
	for c := range h.conns {
		h.cutOff(c)
		c.wire.resetConn()
	}
	h.log.Info("fault: dropped every connection", "connections", len(h.conns))
}

// Stall makes every open connection half-open for d: the simulator stops reading from and
// writing to them with their sockets left open, as a hung Home Assistant or a dead network path
// does. Commands, application pings (ping/pong) and WebSocket ping frames go unanswered; events
// and replies queue up (a connection with 4096 waiting is dropped as too slow, as HA does). After
// d everything queued flows again in order. d ≤ 0 stalls them until they close. Connections made
// later are not stalled.
func (s *Simulator) Stall(d time.Duration) {
	s.do(context.Background(), func(h *home) {
		for c := range h.conns {
			c.wire.stall(d)
		}
		h.log.Info("fault: stalled every connection", "for", d)
	})
}

// Throttle limits what the simulator sends on every connection, open or made later, to about
// bytesPerSecond, as a slow host or a remote link does: a big get_states takes its time to
// arrive. Messages queue up meanwhile, and HA's rules for slow clients apply. 0 lifts the limit.
func (s *Simulator) Throttle(bytesPerSecond int) {
	s.throttle.Store(int64(bytesPerSecond))
	s.log.Info("fault: throttled every connection", "bytes_per_second", bytesPerSecond)
}

// RefuseAuth makes every authentication fail while on: the WebSocket answers auth_invalid
// ("Invalid access token or password") and closes, whatever the token, and GET /api/ answers
// 401. Open connections are not affected. Config.FailAuth starts a Simulator refusing.
func (s *Simulator) RefuseAuth(on bool) {
	s.refuseAuth.Store(on)
}

// Promote makes Alex, the plain user (Config.UserToken), an administrator while on, as an owner
// can in Home Assistant's user settings; off makes Alex a plain user again. Open connections see
// the change on their next command.
func (s *Simulator) Promote(on bool) {
	for _, u := range s.users {
		if u.promoted != nil {
			u.promoted.Store(on)
		}
	}
}

// Revoke refuses Alex's token (Config.UserToken) while on, as deleting that user's refresh token
// does in Home Assistant; hasse's own token (Config.Token) stays valid. Open connections are not
// affected.
func (s *Simulator) Revoke(on bool) {
	for _, u := range s.users {
		if u.revoked != nil {
			u.revoked.Store(on)
		}
	}
}

// SendOversized pads the next event message that reaches any client to n bytes (spaces before
// its final brace: the same JSON, n bytes long), for every client it reaches; as a frame of its
// own unless coalesced with others. It tests that clients read frames far above the WebSocket
// libraries' default limits (HA's get_states and registry lists are megabytes on big homes).
func (s *Simulator) SendOversized(n int) {
	s.do(context.Background(), func(h *home) { h.oversize = n })
}

// SendMalformed sends every authenticated connection two bad frames, each in a frame of its own:
// first a text frame that is not JSON (an event cut off mid-way), then a JSON event message whose
// event is broken (event_type not a string, data not an object, no origin, an unparsable
// time_fired, a null context), addressed to the connection's oldest subscription (id 0 when it
// has none). The connection stays open; a robust client logs both and carries on.
func (s *Simulator) SendMalformed() {
	s.do(context.Background(), func(h *home) {
		for c := range h.conns {
			if !c.commands.Load() || c.dropped {
				continue
			}
			var sub int64
			for id := range c.subs {
				if sub == 0 || id < sub {
					sub = id
				}
			}
			h.queue(c, message{b: []byte(`{"type":"event","event":{"event_type":"state_changed","data":{"entity_id":"light.kit`), alone: true})
			h.queue(c, message{b: []byte(`{"id":` + strconv.FormatInt(sub, 10) +
				`,"type":"event","event":{"event_type":42,"data":"light.kitchen is on","time_fired":"yesterday","context":null}}`), alone: true})
		}
	})
}
