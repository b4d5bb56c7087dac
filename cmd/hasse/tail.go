package main

import (
	"cmp"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"os"
	"strings"
	"time"

	"github.com/mattn/go-isatty"

	"hasse/internal/tail"
)

const tailUsage = `Usage: hasse tail [flags]

Streams a hasse gateway's events to the terminal: one pretty line per event when standard
output is a terminal, JSON lines otherwise. It reconnects by itself and resumes with
Last-Event-ID after the last event it printed; a gap (events the gateway could not replay)
is printed loudly.

Exit status:
  0  the end asked for: --count events printed, --until reached, or interrupted
  1  the stream failed: --max-retries attempts in a row, or output could not be written
  2  bad flags
  3  the gateway refused the token (401) or what it may see (403)
  4  the gateway refused a filter (400)

Flags:
`

// Exit statuses of hasse tail (tailUsage and the README list them).
const (
	exitTailFailed  = 1
	exitTailAuth    = 3
	exitTailRequest = 4
)

// exitError is an error with the exit status hasse ends with.
type exitError struct {
	code int
	err  error
}

func (e exitError) Error() string { return e.err.Error() }
func (e exitError) Unwrap() error { return e.err }
func (e exitError) ExitCode() int { return e.code }

// tailFlags are hasse tail's settings: the HASSE_URL and HASSE_TOKEN environment, and flags.
type tailFlags struct {
	url, token, lastEventID string
	json, pretty            bool
	color                   string
	count                   int
	until                   string
	maxWait, idle           time.Duration
	maxRetries              int
	query                   url.Values // the filters, passed to the gateway as they are
	snapshot                bool
}

// tailCommand is `hasse tail`: the terminal client of the SSE endpoint.
func tailCommand(ctx context.Context, args, environ []string, stdout, stderr io.Writer) error {
	f, err := parseTailFlags(args, environ, stderr)
	if errors.Is(err, flag.ErrHelp) {
		return nil
	}
	if err != nil {
		return usageError{err}
	}
	stream, err := f.streamURL()
	if err != nil {
		return usageError{err}
	}
	if f.until != "" {
		end, err := untilTime(f.until, time.Now())
		if err != nil {
			return usageError{err}
		}
		var cancel context.CancelFunc
		ctx, cancel = context.WithDeadline(ctx, end)
		defer cancel()
	}
	noColor := envValue(environ, "NO_COLOR") != "" || envValue(environ, "TERM") == "dumb"
	colored := func(w io.Writer) bool {
		return f.color == "always" || f.color == "auto" && !noColor && isTerminal(w)
	}
	p := &tail.Printer{
		Out: stdout, Err: stderr,
		JSON:     f.json || !f.pretty && !isTerminal(stdout),
		OutColor: colored(stdout), ErrColor: colored(stderr),
		Location: time.Local,
	}
	err = tail.Run(ctx, tail.Config{
		URL: stream, Token: f.token, LastEventID: f.lastEventID,
		MaxWait: f.maxWait, MaxRetries: f.maxRetries, IdleTimeout: f.idle,
		Count: f.count, UserAgent: "hasse-tail",
	}, p)
	var refused *tail.RefusedError
	switch {
	case err == nil:
		return nil
	case errors.As(err, &refused) && (refused.Status == http.StatusUnauthorized || refused.Status == http.StatusForbidden):
		return exitError{exitTailAuth, err}
	case errors.As(err, &refused) && refused.Status == http.StatusBadRequest:
		return exitError{exitTailRequest, err}
	}
	return exitError{exitTailFailed, err}
}

func parseTailFlags(args, environ []string, stderr io.Writer) (tailFlags, error) {
	f := tailFlags{
		url:   cmp.Or(envValue(environ, "HASSE_URL"), "http://127.0.0.1:3000"),
		token: envValue(environ, "HASSE_TOKEN"),
		query: url.Values{},
	}
	fs := flag.NewFlagSet("hasse tail", flag.ContinueOnError)
	fs.SetOutput(stderr)
	fs.Usage = func() {
		fmt.Fprint(fs.Output(), tailUsage)
		fs.PrintDefaults()
	}
	fs.StringVar(&f.url, "url", f.url, "the gateway, or its stream `URL` with a query of filters (HASSE_URL); /subscribe_events when no path is given")
	fs.StringVar(&f.token, "token", f.token, "the client `token`, sent as Authorization: Bearer (HASSE_TOKEN)")
	for _, p := range []struct{ flag, param, usage string }{
		{"domain", "domain", "domains, comma `list`, globs (sensor*); repeatable"},
		{"entity", "entity_id", "entity ids, comma `list`, globs (sensor.kitchen_*); repeatable"},
		{"events", "events", "event types, comma `list`, globs (automation_*); repeatable"},
		{"area", "area", "area ids or names, comma `list`; repeatable"},
		{"label", "label", "label ids, comma `list`; repeatable"},
		{"device-class", "device_class", "device classes (temperature, motion, …), comma `list`; repeatable"},
		{"throttle", "throttle", "at most one state_changed per entity per `window` (500ms, 2s, …)"},
		{"changes", "changes", "`state`: leave out state_changed events that change only attributes"},
		{"format", "format", "wire `format`: envelope or named; default: the gateway's"},
		{"client-id", "client_id", "a `label` for this client in the gateway's statistics"},
	} {
		fs.Func(p.flag, p.usage, func(v string) error {
			f.query.Add(p.param, v)
			return nil
		})
	}
	fs.BoolVar(&f.snapshot, "snapshot", false, "first the current state of every matching entity")
	fs.StringVar(&f.lastEventID, "last-event-id", "", "resume after this event `id`")
	fs.BoolVar(&f.json, "json", false, "JSON lines, even on a terminal")
	fs.BoolVar(&f.pretty, "pretty", false, "pretty lines, even when not on a terminal")
	fs.StringVar(&f.color, "color", "auto", "`when`: auto (on a terminal unless NO_COLOR is set), always or never")
	fs.IntVar(&f.count, "count", 0, "exit after this many events (control events do not count); 0: never")
	fs.StringVar(&f.until, "until", "", "exit after this long (10m) or at this `time` (RFC 3339)")
	fs.DurationVar(&f.maxWait, "max-wait", 30*time.Second, "longest wait between attempts to connect, the gateway's retry hint included")
	fs.IntVar(&f.maxRetries, "max-retries", 0, "exit 1 after this many attempts in a row fail; 0: never give up")
	fs.DurationVar(&f.idle, "idle-timeout", 90*time.Second, "reconnect when nothing, not even a keep-alive, arrives for this long")
	if err := fs.Parse(args); err != nil {
		return f, err
	}
	switch {
	case fs.NArg() > 0:
		return f, fmt.Errorf("hasse tail takes no arguments, got %q", fs.Arg(0))
	case f.json && f.pretty:
		return f, errors.New("--json and --pretty exclude each other")
	case f.color != "auto" && f.color != "always" && f.color != "never":
		return f, fmt.Errorf("--color %q: want auto, always or never", f.color)
	case f.count < 0 || f.maxRetries < 0:
		return f, errors.New("--count and --max-retries must not be negative")
	case f.maxWait <= 0 || f.idle <= 0:
		return f, errors.New("--max-wait and --idle-timeout must be positive")
	}
	return f, nil
}

// streamURL is the URL to stream: --url, with /subscribe_events when it has no path, and the
// filters added to its query.
func (f tailFlags) streamURL() (string, error) {
	raw := f.url
	if !strings.Contains(raw, "://") {
		raw = "http://" + raw
	}
	u, err := url.Parse(raw)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return "", fmt.Errorf("--url %q: want http(s)://host:port[/path]", f.url)
	}
	if u.Path == "" || u.Path == "/" {
		u.Path = "/subscribe_events"
	}
	q := u.Query()
	for k, vs := range f.query {
		q[k] = append(q[k], vs...)
	}
	if f.snapshot {
		q.Set("snapshot", "1")
	}
	u.RawQuery = q.Encode()
	return u.String(), nil
}

// untilTime reads --until: a duration from now, or an RFC 3339 time.
func untilTime(v string, now time.Time) (time.Time, error) {
	if d, err := time.ParseDuration(v); err == nil && d > 0 {
		return now.Add(d), nil
	}
	if t, err := time.Parse(time.RFC3339, v); err == nil {
		return t, nil
	}
	return time.Time{}, fmt.Errorf("--until %q: want a positive duration (10m) or an RFC 3339 time", v)
}

// envValue is the value of name in environ, the last one when it is set twice.
func envValue(environ []string, name string) string {
	v := ""
	for _, kv := range environ {
		if k, val, ok := strings.Cut(kv, "="); ok && k == name {
			v = val
		}
	}
	return v
}

// isTerminal reports whether w is a terminal.
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && (isatty.IsTerminal(f.Fd()) || isatty.IsCygwinTerminal(f.Fd()))
}
