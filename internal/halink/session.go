package halink

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"sync"
	"sync/atomic"
	"time"

	"github.com/coder/websocket"

	"hasse/internal/hass"
	"hasse/internal/hass/jsonscan"
)

// session is one connection to Home Assistant. It runs two goroutines: the reader, which
// publishes events and hands replies to the writer, and the writer, which owns command ids,
// the replies awaited and the pings (writer.go).
type session struct {
	c       *Client
	ws      *websocket.Conn
	version string // ha_version of auth_ok

	requests chan request  // commands to send, to the writer
	replies  chan message  // results and pongs, from the reader to the writer
	stopped  chan struct{} // closed when the session ends
	received atomic.Int64  // bytes of messages read so far: progress (progress.go)
	events   atomic.Int64  // id of the subscribe_events subscription, set by the writer
	states   atomic.Int64  // id of the get_states that follows it, set by the writer

	registryChanged chan struct{} // the reader saw a registry change; holds one signal at most
	starting        atomic.Bool   // Home Assistant was starting at setup, and its states are not read yet
	started         chan struct{} // the reader saw homeassistant_started while starting; holds one signal

	seen seen // what the reader learnt from states (seen.go)
}

// connect makes one connection to Home Assistant and serves it until it is lost or ctx ends. up
// reports that it was set up and served events.
func (c *Client) connect(ctx context.Context, sink Sink) (up bool, err error) {
	s, err := c.dial(ctx, c.cfg.Token)
	if err != nil {
		return false, err
	}
	defer s.ws.CloseNow()
	return s.run(ctx, sink)
}

// dial connects and authenticates with token (HA-PROTOCOL.md §2) within HandshakeTimeout.
func (c *Client) dial(ctx context.Context, token string) (_ *session, err error) {
	ctx, cancel := context.WithTimeout(ctx, c.cfg.HandshakeTimeout)
	defer cancel()
	ws, resp, err := websocket.Dial(ctx, c.url, &websocket.DialOptions{HTTPClient: c.http})
	if err != nil {
		if resp != nil && resp.StatusCode == http.StatusForbidden {
			return nil, fmt.Errorf("%w: %w", ErrBanned, err)
		}
		return nil, err
	}
	tracked := false // a refused connection is closed by c.refused, once HA has counted the refusal
	defer func() {
		if err != nil && !tracked {
			ws.CloseNow()
		}
	}()
	ws.SetReadLimit(c.cfg.ReadLimit)
	switch m, err := readHandshake(ctx, ws); {
	case err != nil:
		return nil, fmt.Errorf("read auth_required: %w", err)
	case m.typ != "auth_required":
		return nil, fmt.Errorf("read auth_required: got %q", m.typ)
	}
	auth, err := json.Marshal(struct {
		Type  string `json:"type"`
		Token string `json:"access_token"`
	}{"auth", token})
	if err != nil {
		return nil, err
	}
	if err := ws.Write(ctx, websocket.MessageText, auth); err != nil {
		return nil, fmt.Errorf("send auth: %w", err)
	}
	m, err := readHandshake(ctx, ws)
	switch {
	case err != nil:
		return nil, fmt.Errorf("read auth_ok: %w", err)
	case m.typ == "auth_invalid":
		tracked = true
		c.refused.track(ws)
		return nil, fmt.Errorf("%w: %s", ErrAuthInvalid, m.text)
	case m.typ != "auth_ok":
		return nil, fmt.Errorf("read auth_ok: got %q", m.typ)
	}
	return &session{
		c:        c,
		ws:       ws,
		version:  m.version,
		requests: make(chan request),
		replies:  make(chan message, 16),
		stopped:  make(chan struct{}),

		registryChanged: make(chan struct{}, 1),
		started:         make(chan struct{}, 1),
	}, nil
}

// readHandshake reads one message of the auth handshake, which is never coalesced.
func readHandshake(ctx context.Context, ws *websocket.Conn) (message, error) {
	_, b, err := ws.Read(ctx)
	if err != nil {
		return message{}, err
	}
	if _, err := jsonscan.Validate(b); err != nil {
		return message{}, err
	}
	return parseMessage(b[jsonscan.SkipSpace(b, 0):]), nil
}

// run serves the session: sets it up, then reads and writes until the connection fails or ctx
// ends, and returns whether setup succeeded and why it ended once both goroutines have exited.
func (s *session) run(ctx context.Context, sink Sink) (up bool, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	var wg sync.WaitGroup
	wg.Go(func() { cancel(s.read(ctx, sink)) })
	wg.Go(func() { cancel(s.write(ctx)) })
	if err := s.setup(ctx, sink); err != nil {
		cancel(err)
	} else {
		up = true
		s.c.announced.Store(true) // events may reach the sink before the states do
		wg.Go(func() { s.watchRegistry(ctx) })
		starting := s.starting.Load()
		s.c.live.Store(s)
		s.c.link.up(s.version, starting)
		s.c.log.LogAttrs(ctx, slog.LevelInfo, "home assistant connected",
			slog.String("url", s.c.url), slog.String("ha_version", s.version), slog.Bool("starting", starting))
		if starting {
			wg.Go(func() {
				if err := s.awaitStart(ctx, sink); err != nil {
					cancel(err)
				}
			})
		}
		<-ctx.Done()
		s.c.live.CompareAndSwap(s, nil)
	}
	close(s.stopped)
	s.ws.CloseNow() // ends a read or write in progress
	wg.Wait()
	return up, context.Cause(ctx)
}

// setup asks for coalesced frames, subscribes to every event (HA-PROTOCOL.md §3, §6) and reads
// every state, unless Home Assistant is still starting (startup.go). It fails when Home
// Assistant sends nothing for HandshakeTimeout (progress.go), however long it takes otherwise. An error result to
// supported_features (an older Home Assistant) is no reason to give up; one to subscribe_events
// is a configuration error, returned as a *CommandError, which also wraps ErrAuthInvalid when it
// is unauthorized (the token is not an admin's).
func (s *session) setup(ctx context.Context, sink Sink) error {
	ctx, cancel := s.whileProgress(ctx, s.c.cfg.HandshakeTimeout)
	defer cancel()
	_, err := s.command(ctx, request{typ: "supported_features",
		body: []byte(`{"type":"supported_features","features":{"coalesce_messages":1}}`)})
	if ce := (*CommandError)(nil); errors.As(err, &ce) {
		s.c.log.LogAttrs(ctx, slog.LevelWarn, "home assistant does not coalesce messages", slog.Any("err", err))
	} else if err != nil {
		return err
	}
	if err := s.reloadRegistry(ctx); err != nil { // first: events from the start carry their area
		return err
	}
	_, err = s.command(ctx, request{typ: "subscribe_events", body: []byte(`{"type":"subscribe_events"}`), sub: &s.events})
	if ce := (*CommandError)(nil); errors.As(err, &ce) && ce.Code == "unauthorized" {
		return fmt.Errorf("%w: %w", ErrAuthInvalid, err)
	} else if err != nil {
		return err
	}
	// Subscribed first: homeassistant_started cannot fall between get_config and the subscription.
	starting, err := s.haStarting(ctx)
	if err != nil {
		return err
	}
	if starting {
		s.starting.Store(true)
		s.c.log.LogAttrs(ctx, slog.LevelInfo, "home assistant is starting; its states are read once it has started")
		return nil
	}
	return s.readStates(ctx, sink)
}

// readStates asks for every state. The reader hands them to the sink as it reads them
// (replaceStates), in order with events.
func (s *session) readStates(ctx context.Context, sink Sink) error {
	ctx, cancel := s.whileProgress(ctx, s.c.cfg.HandshakeTimeout)
	defer cancel()
	_, err := s.command(ctx, request{typ: "get_states", body: []byte(`{"type":"get_states"}`), sub: &s.states})
	if ce := (*CommandError)(nil); errors.As(err, &ce) {
		s.c.log.LogAttrs(ctx, slog.LevelWarn, "home assistant gives no states; snapshots will hold only what events tell", slog.Any("err", err))
		s.statesRead()
		s.c.announced.Store(true)
		sink.Connected(nil)
		return nil
	}
	return err
}

// statesRead notes that the session's states went to the sink: Home Assistant is no longer
// starting, as far as the session is concerned.
func (s *session) statesRead() {
	if s.starting.Swap(false) {
		s.c.link.started()
	}
}

// replaceStates hands the result of get_states to the sink, each state sanitised.
func (s *session) replaceStates(ctx context.Context, result []byte, sink Sink) {
	s.statesRead()
	if len(result) == 0 || result[0] != '[' {
		s.c.log.LogAttrs(ctx, slog.LevelWarn, "get_states result is not a list")
		s.c.announced.Store(true)
		sink.Connected(nil) // the link is up all the same
		return
	}
	var states []hass.State
	for m := jsonscan.Walk(result); ; {
		_, b, ok := m.Next()
		if !ok {
			break
		}
		b, _ = s.c.san.State(jsonscan.Compact(b))
		st, err := hass.ParseState(b)
		if err != nil {
			s.c.log.LogAttrs(ctx, slog.LevelWarn, "malformed state from home assistant", slog.Any("err", err))
			continue
		}
		s.annotateState(&st)
		states = append(states, st)
	}
	s.c.announced.Store(true)
	sink.Connected(states)
}

// read reads frames until the connection fails.
func (s *session) read(ctx context.Context, sink Sink) error {
	var buf bytes.Buffer // reused: nothing read is kept (hass.Normalize and replies copy)
	for {
		typ, r, err := s.ws.Reader(ctx)
		if err == nil {
			buf.Reset()
			_, err = buf.ReadFrom(progressReader{r, s})
		}
		if err != nil {
			return fmt.Errorf("read: %w", err)
		}
		if typ != websocket.MessageText {
			continue // binary frames carry streams (voice) the gateway never asks for
		}
		if err := s.frame(ctx, buf.Bytes(), time.Now(), sink); err != nil {
			return err
		}
		if buf.Cap() > 1<<20 { // do not keep a get_states-sized buffer
			buf = bytes.Buffer{}
		}
	}
}

// frame handles one frame: a message, or an array of messages (HA-PROTOCOL.md §3).
func (s *session) frame(ctx context.Context, b []byte, received time.Time, sink Sink) error {
	compact, err := jsonscan.Validate(b)
	if err != nil {
		s.c.log.LogAttrs(ctx, slog.LevelWarn, "malformed frame from home assistant", slog.Any("err", err))
		return nil
	}
	i := jsonscan.SkipSpace(b, 0)
	if b[i] != '[' {
		_, err := s.message(ctx, b, i, compact, received, sink)
		return err
	}
	w := jsonscan.WalkAt(b, i)
	for _, ok := w.Key(); ok; _, ok = w.Key() {
		end, err := s.message(ctx, b, w.At(), compact, received, sink)
		if err != nil {
			return err
		}
		w.SkipTo(end)
	}
	return nil
}

// message handles the message at b[i] and returns its end: an event is published, a reply goes
// to the writer.
func (s *session) message(ctx context.Context, b []byte, i int, compactFrame bool, received time.Time, sink Sink) (int, error) {
	var (
		m     message
		ev    *hass.Event
		evErr error
	)
	w := jsonscan.WalkAt(b, i)
	for key, ok := w.Key(); ok; key, ok = w.Key() {
		if string(key) == "event" && m.typ == "event" { // HA writes the type first: one pass
			var n int
			ev, n, evErr = hass.NormalizeValidated(b[w.At():], compactFrame, received, s.c.san)
			w.SkipTo(w.At() + n)
			continue
		}
		m.set(key, &w)
	}
	switch m.typ {
	case "event":
		if m.event != nil { // the type came after the event
			ev, _, evErr = hass.NormalizeValidated(m.event, compactFrame, received, s.c.san)
		}
		if m.id != s.events.Load() || ev == nil && evErr == nil {
			break // a subscription given up on; HA may still send what it had queued
		}
		switch {
		case errors.Is(evErr, hass.ErrNoop):
		case evErr != nil:
			s.c.log.LogAttrs(ctx, slog.LevelWarn, "malformed event from home assistant", slog.Any("err", evErr))
		default:
			s.c.link.event(received)
			s.annotate(ev)
			if isRegistryUpdate(ev.Type) {
				select {
				case s.registryChanged <- struct{}{}:
				default:
				}
			}
			if ev.Type == eventStarted && s.starting.Load() {
				select {
				case s.started <- struct{}{}:
				default:
				}
			}
			sink.Publish(ev)
		}
	case "result", "pong":
		if m.typ == "result" && m.success && m.id == s.states.Load() {
			s.replaceStates(ctx, m.result, sink) // here, in the read loop: in order with events
		}
		// The frame's buffer is reused: keep a copy of what the waiting command gets.
		if compactFrame {
			m.result = bytes.Clone(m.result)
		} else {
			m.result = jsonscan.Compact(m.result)
		}
		m.err, m.event = bytes.Clone(m.err), nil
		select {
		case s.replies <- m:
		case <-ctx.Done():
			return w.At(), context.Cause(ctx)
		}
	}
	return w.At(), nil
}
