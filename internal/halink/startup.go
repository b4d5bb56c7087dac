package halink

import (
	"context"
	"encoding/json"
	"errors"
	"log/slog"
	"time"
)

// Home Assistant serves its WebSocket API while it is still starting (HA-PROTOCOL.md §19): its
// HTTP server comes up long before most integrations, get_config says NOT_RUNNING and then
// STARTING until homeassistant_started, and entities whose integration has not loaded are
// missing or "unavailable" placeholders with restored: true. A get_states read then is not the
// home: a resync against it would tell every subscriber that the missing entities were removed
// (and then, as they load, created). So a session that finds Home Assistant starting is up (its
// events flow, each a true change) but hands its states to the sink only once Home Assistant
// has started; the resync runs against those.

// eventStarted is the event Home Assistant fires once it has started (state RUNNING).
const eventStarted = "homeassistant_started"

// startPoll is how often a session that waits for Home Assistant to start asks get_config, in
// case it misses homeassistant_started.
const startPoll = 30 * time.Second

// haStarting asks get_config whether Home Assistant is still starting. A Home Assistant that
// refuses get_config counts as running.
func (s *session) haStarting(ctx context.Context) (bool, error) {
	res, err := s.command(ctx, request{typ: "get_config", body: []byte(`{"type":"get_config"}`)})
	if ce := (*CommandError)(nil); errors.As(err, &ce) {
		return false, nil
	}
	if err != nil {
		return false, err
	}
	var cfg struct {
		State string `json:"state"`
	}
	if json.Unmarshal(res, &cfg) != nil {
		return false, nil
	}
	return cfg.State == "NOT_RUNNING" || cfg.State == "STARTING", nil
}

// awaitStart waits until Home Assistant has started (homeassistant_started, or get_config saying
// so), then reads the states for the sink as setup would have. It returns an error that ends the
// session when they cannot be read.
func (s *session) awaitStart(ctx context.Context, sink Sink) error {
	poll := time.NewTicker(startPoll)
	defer poll.Stop()
	for started := false; !started; {
		select {
		case <-ctx.Done():
			return nil
		case <-s.started:
			started = true
		case <-poll.C:
			starting, err := s.haStarting(ctx)
			if err != nil {
				return err
			}
			started = !starting
		}
	}
	s.c.log.LogAttrs(ctx, slog.LevelInfo, "home assistant has started; reading its states")
	return s.readStates(ctx, sink)
}
