package httpapi

import (
	"cmp"
	"errors"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"
	"unique"

	"hasse/internal/auth"
	"hasse/internal/filter"
	"hasse/internal/format"
	"hasse/internal/hub"
	"hasse/internal/random"
)

// streamParams are the parameters of SPEC.md §4.1 read here rather than by the filter. Names that
// neither reads are listed back to the client as ignored.
var streamParams = append([]string{"format", "client_id", "last_event_id", "throttle", "snapshot"}, auth.TokenParams...)

// subscribe opens an SSE stream (SPEC.md §4).
func (s *Server) subscribe(w http.ResponseWriter, r *http.Request) error {
	v, err := params(r, s.cfg.MaxBodyBytes)
	if err != nil {
		return err
	}
	user, tok, err := s.authenticate(r, v)
	if err != nil {
		return err
	}
	sub, ignored, err := s.subscription(v, user)
	if err != nil {
		return err
	}
	sub.LastEventID = cmp.Or(r.Header.Get("Last-Event-ID"), v.Get("last_event_id")) // the header wins
	sub.RemoteAddr, sub.UserAgent = interned(s.clientIP(r)), interned(clipTo(r.UserAgent(), 256))
	proto, tlsVersion := protocolOf(r)
	sub.Protocol, sub.TLS = interned(proto), tlsVersion
	c, err := s.hub.Subscribe(r.Context(), sub)
	switch {
	case errors.Is(err, hub.ErrFull):
		return &apiError{http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "the gateway holds as many streams as it may; try again later", 5 * time.Second}
	case errors.Is(err, hub.ErrUserFull):
		return &apiError{http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "this user holds as many streams as it may; close one or try again later", 5 * time.Second}
	case errors.Is(err, hub.ErrClosed):
		return &apiError{http.StatusServiceUnavailable, "SERVICE_OVERLOADED", "the gateway is shutting down", 3 * time.Second}
	case err != nil:
		return nil // the client went away while waiting
	}
	s.streamOpened(r.Context(), c.ID, tok, user.Admin)
	ended := func() { s.streamEnded(c.ID) }

	now := time.Now()
	first := format.AppendRetry(nil, random.Jitter(s.cfg.RetryHint))
	first = format.AppendConnection(first, c.Format, format.Connection{
		ClientID:      c.ClientID,
		Authenticated: s.cfg.Auth != AuthNone,
		Filters:       sub.Filter,
		Resumed:       c.Resumed,
		IgnoredParams: ignored,
	}, now)
	if c.Gap != "" {
		first = format.AppendGap(first, c.Format, c.Gap, clip(sub.LastEventID), now)
	}
	s.writer.Respond(stopping(r), w, r, c, first, ended)
	return nil
}

// authenticate returns who the request comes from. Under auth none everyone is an admin named
// after their address.
func (s *Server) authenticate(r *http.Request, v url.Values) (auth.User, auth.Token, error) {
	if s.cfg.Auth == AuthNone {
		u := auth.User{Name: s.clientIP(r), Admin: true}
		return u, "", s.limitUser(u.Name)
	}
	tok := auth.FromRequest(r, v)
	u, err := s.authn.Authenticate(auth.WithClientAddr(r.Context(), s.clientIP(r)), tok)
	switch {
	case errors.Is(err, auth.ErrUnavailable):
		return auth.User{}, "", &apiError{http.StatusServiceUnavailable, "AUTH_UNAVAILABLE", "Home Assistant cannot be asked about the token right now; try again shortly", 5 * time.Second}
	case err != nil:
		return auth.User{}, "", errorf(http.StatusUnauthorized, "UNAUTHORIZED", "a valid token is required: Authorization: Bearer <token>, or the token query parameter")
	}
	return u, tok, s.limitUser(u.Name)
}

// subscription reads the stream's parameters.
func (s *Server) subscription(v url.Values, user auth.User) (hub.Subscription, []string, error) {
	var ignored []string
	for name, vals := range v {
		for _, val := range vals {
			if len(val) > filter.MaxValueBytes { // every parameter's values, as the filter's own
				return hub.Subscription{}, nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", "invalid parameter "+strconv.Quote(clip(name))+
					": longer than the limit of "+strconv.Itoa(filter.MaxValueBytes)+" bytes")
			}
		}
		if !filter.IsParam(name) && !slices.Contains(streamParams, name) {
			ignored = append(ignored, clip(name))
		}
	}
	slices.Sort(ignored)
	f, err := s.filters.ParseWithin(v, user.Scope, func() string { return s.link().Registry })
	var se *filter.ScopeError
	switch {
	case errors.As(err, &se):
		return hub.Subscription{}, nil, errorf(http.StatusForbidden, "FORBIDDEN", se.Error())
	case err != nil:
		return hub.Subscription{}, nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", err.Error())
	}
	kind := s.cfg.DefaultFormat
	if name := v.Get("format"); name != "" {
		if kind, err = format.ParseKind(name); err != nil {
			return hub.Subscription{}, nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", `invalid parameter "format": use envelope or named`)
		}
	}
	var throttle time.Duration
	if text := v.Get("throttle"); text != "" {
		throttle, err = time.ParseDuration(text)
		if err != nil || throttle < 100*time.Millisecond || throttle > time.Hour {
			return hub.Subscription{}, nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", `invalid parameter "throttle": a duration from 100ms to 1h, like 500ms or 2s`)
		}
	}
	var snapshot bool
	switch v.Get("snapshot") {
	case "", "0", "false":
	case "1", "true":
		snapshot = true
	default:
		return hub.Subscription{}, nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", `invalid parameter "snapshot": use 1, true, 0 or false`)
	}
	clientID := v.Get("client_id")
	switch {
	case clientID == "":
		clientID = "sse_" + strconv.FormatInt(time.Now().UnixMilli(), 10) + "_" + random.Hex(3)
	case !hub.ValidID(clientID):
		return hub.Subscription{}, nil, errorf(http.StatusBadRequest, "INVALID_PARAMETER", `invalid parameter "client_id": 1 to 64 of A-Z a-z 0-9 . _ -`)
	}
	return hub.Subscription{
		ID:             "conn_" + random.Hex(8),
		ClientID:       clientID,
		User:           user.Name,
		MaxConnections: user.MaxConnections,
		Filter:         f,
		Scope:          user.Scope,
		Format:         kind,
		Throttle:       throttle,
		Snapshot:       snapshot,
	}, ignored, nil
}

// clip shortens a client-chosen string before it goes into a message.
func clip(s string) string { return clipTo(s, 64) }

func clipTo(s string, n int) string {
	if len(s) > n {
		return strings.ToValidUTF8(s[:n], "") + "…"
	}
	return s
}

// interned is s, stored once however many streams hold it. A stream's strings live as long as
// it does: a request's Proto is a slice of its whole request line, query and all, and a
// thousand clients of one app send one User-Agent.
func interned(s string) string { return unique.Make(s).Value() }
