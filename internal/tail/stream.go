package tail

import (
	"cmp"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"sync/atomic"
	"time"
)

// Config says what [Run] streams and how it reconnects. Zero fields take the defaults shown.
type Config struct {
	// URL is the gateway's stream endpoint, its filters in the query.
	URL string
	// Token is sent as "Authorization: Bearer …"; empty: no header.
	Token string
	// LastEventID resumes the first connection after this event id; later connections resume
	// after the last id read.
	LastEventID string
	// Client makes the requests; default: a client of Run's own. Run closes its idle
	// connections when it returns.
	Client *http.Client
	// MaxWait caps the wait between attempts, the server's retry: hint included; default 30s.
	// A Retry-After header is honoured whole.
	MaxWait time.Duration
	// MaxRetries is how many attempts to connect may fail in a row before Run gives up;
	// default 0: never.
	MaxRetries int
	// IdleTimeout ends a connection on which nothing arrived for this long (the gateway sends
	// keep-alives every 30s by default), and a reconnect follows; default 90s.
	IdleTimeout time.Duration
	// Count ends Run after this many events (control events do not count); 0: no end.
	Count int
	// MaxEventSize is the largest event read, in bytes; default 1 MiB.
	MaxEventSize int
	// UserAgent is sent as the User-Agent header when not empty.
	UserAgent string
}

// RefusedError is the gateway's answer when it did not open the stream. Run returns it for a
// status that retrying would not change, such as 400 (a bad filter), 401 or 403; it retries 408,
// 429 and 5xx. Message is the gateway's own (SPEC.md §8).
type RefusedError struct {
	Status  int    // the HTTP status
	Code    string // the error_code of the gateway's JSON error, if it sent one
	Message string // the gateway's message, or a description of what was wrong
}

func (e *RefusedError) Error() string {
	code := strconv.Itoa(e.Status)
	if e.Code != "" {
		code += " " + e.Code
	}
	return "the gateway refused the stream (" + code + "): " + e.Message
}

// Run reads the stream of cfg.URL and hands every message to p until ctx ends or cfg.Count
// events were printed, both a clean end (nil). It reconnects by itself whenever the stream
// ends or cannot be opened, resuming with Last-Event-ID after the last event read, and tells
// p how long it waits. It returns a *RefusedError when the gateway refuses the stream for good,
// an error when cfg.MaxRetries attempts in a row failed or p could not write.
func Run(ctx context.Context, cfg Config, p *Printer) error {
	cfg.MaxWait = cmp.Or(max(cfg.MaxWait, 0), 30*time.Second) // zero or negative: the default
	cfg.IdleTimeout = cmp.Or(max(cfg.IdleTimeout, 0), 90*time.Second)
	if cfg.MaxEventSize <= 0 {
		cfg.MaxEventSize = 1 << 20
	}
	if cfg.Client == nil {
		cfg.Client = &http.Client{Transport: http.DefaultTransport.(*http.Transport).Clone()}
	}
	defer cfg.Client.CloseIdleConnections()
	s := &session{cfg: cfg, p: p, lastID: cfg.LastEventID}
	return s.run(ctx)
}

// session is one Run: what it carries from connection to connection.
type session struct {
	cfg    Config
	p      *Printer
	lastID string        // the stream's last event id: Last-Event-ID of the next connection
	hint   time.Duration // the server's last retry: hint
	events int           // events printed, for Count
}

// outcome is how one connection ended.
type outcome struct {
	opened     bool          // the stream opened: the next wait starts afresh
	final      bool          // stop: done, refused, or output failed (err says which)
	retryAfter time.Duration // the refusal's Retry-After
	err        error
}

func (s *session) run(ctx context.Context) error {
	failures := 0
	for {
		out := s.connect(ctx)
		if ctx.Err() != nil {
			return nil
		}
		if out.final {
			return out.err
		}
		if out.opened {
			failures = 0
		} else if failures++; s.cfg.MaxRetries > 0 && failures >= s.cfg.MaxRetries {
			return fmt.Errorf("giving up after %d failed attempts: %w", failures, out.err)
		}
		wait := max(retryWait(failures, s.hint, s.cfg.MaxWait, rand.Float64()), out.retryAfter)
		if out.opened {
			s.p.Notice(fmt.Sprintf("stream ended (%v); reconnecting in %v", out.err, wait.Round(time.Millisecond)))
		} else {
			s.p.Notice(fmt.Sprintf("cannot stream (%v); retrying in %v", out.err, wait.Round(time.Millisecond)))
		}
		t := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil
		case <-t.C:
		}
	}
}

// connect makes one connection and reads its stream until it ends.
func (s *session) connect(ctx context.Context) outcome {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var idle atomic.Bool
	watchdog := time.AfterFunc(s.cfg.IdleTimeout, func() { idle.Store(true); cancel() })
	defer watchdog.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, s.cfg.URL, nil)
	if err != nil {
		return outcome{final: true, err: err}
	}
	req.Header.Set("Accept", "text/event-stream")
	req.Header.Set("Cache-Control", "no-cache")
	if s.cfg.Token != "" {
		req.Header.Set("Authorization", "Bearer "+s.cfg.Token)
	}
	if s.lastID != "" {
		req.Header.Set("Last-Event-ID", s.lastID)
	}
	if s.cfg.UserAgent != "" {
		req.Header.Set("User-Agent", s.cfg.UserAgent)
	}
	resp, err := s.cfg.Client.Do(req)
	if err != nil {
		if ue := (*url.Error)(nil); errors.As(err, &ue) {
			err = ue.Err // its URL may hold a token
		}
		if idle.Load() {
			err = fmt.Errorf("no answer within %v", s.cfg.IdleTimeout)
		}
		return outcome{err: err}
	}
	defer resp.Body.Close()
	if out, ok := refusal(resp); !ok {
		return out
	}

	r := newReader(&activity{r: resp.Body, watchdog: watchdog, idle: s.cfg.IdleTimeout}, s.cfg.MaxEventSize, s.lastID)
	for {
		m, err := r.next()
		if err != nil {
			if idle.Load() {
				err = fmt.Errorf("nothing received for %v", s.cfg.IdleTimeout)
			} else if err == io.EOF {
				err = errors.New("the gateway closed it")
			}
			return outcome{opened: true, err: err}
		}
		s.lastID = m.LastEventID
		if m.Retry > 0 {
			s.hint = m.Retry
		}
		if !m.HasData {
			continue
		}
		event, err := s.p.Message(m)
		if err != nil {
			return outcome{opened: true, final: true, err: err}
		}
		if event {
			s.events++
		}
		if s.cfg.Count > 0 && s.events >= s.cfg.Count {
			return outcome{opened: true, final: true}
		}
	}
}

// refusal reports whether resp opened an event stream; if not, the outcome says why and
// whether to retry.
func refusal(resp *http.Response) (outcome, bool) {
	ct, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type"))
	if resp.StatusCode == http.StatusOK && ct == "text/event-stream" {
		return outcome{}, true
	}
	e := &RefusedError{Status: resp.StatusCode}
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 64<<10))
	var shape struct { // SPEC.md §8
		Message   string `json:"message"`
		ErrorCode string `json:"error_code"`
	}
	switch {
	case resp.StatusCode == http.StatusOK:
		e.Message = fmt.Sprintf("not an event stream (Content-Type %q)", resp.Header.Get("Content-Type"))
	case json.Unmarshal(body, &shape) == nil && shape.Message != "":
		e.Message, e.Code = printable(shape.Message), printable(shape.ErrorCode) // printed as they are
	default:
		e.Message = http.StatusText(resp.StatusCode)
	}
	if resp.StatusCode == http.StatusRequestTimeout || resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500 {
		return outcome{err: e, retryAfter: retryAfter(resp.Header.Get("Retry-After"))}, false
	}
	return outcome{final: true, err: e}, false
}

// retryAfter reads a Retry-After header: seconds or an HTTP date; 0 when absent or bad.
func retryAfter(v string) time.Duration {
	if secs, err := strconv.ParseUint(strings.TrimSpace(v), 10, 31); err == nil {
		return time.Duration(secs) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil {
		return max(time.Until(t), 0)
	}
	return 0
}

// activity is the stream's body; every read that brings bytes puts the idle watchdog back.
type activity struct {
	r        io.Reader
	watchdog *time.Timer
	idle     time.Duration
}

func (a *activity) Read(p []byte) (int, error) {
	n, err := a.r.Read(p)
	if n > 0 {
		a.watchdog.Reset(a.idle)
	}
	return n, err
}
