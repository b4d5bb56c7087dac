package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"net"
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"
)

// readBuffer is each connection's read buffer: small, so that one process holds tens of
// thousands of connections.
const readBuffer = 4 << 10

// poolConfig says what a pool connects to and how.
type poolConfig struct {
	URL         *url.URL      // the SSE endpoint, http:// only
	Headers     []string      // extra request headers, "Name: value"
	SrcIPs      int           // spread loopback connections over 127.0.0.1 … 127.0.0.SrcIPs (1–254)
	Concurrency int           // connections being set up at once
	Timeout     time.Duration // to connect and read the response head
}

// pool opens SSE connections on raw sockets, one goroutine each, and reads them until close:
// HTTP/1.1 written and read by hand (the head parsed by net/http), the body decoded in place
// (stream.go), and onEvent called for every event with the time its read returned (Unix ns).
// A loopback target is reached from spread source addresses, so that no single one runs out of
// ephemeral ports.
type pool struct {
	cfg     poolConfig
	onEvent func(now, stamp int64, ok bool) // called from the readers, concurrently

	established, failed, dropped atomic.Int64
	closing                      atomic.Bool
	readers                      sync.WaitGroup

	mu    sync.Mutex // guards conns and errs
	conns []net.Conn
	errs  map[string]int
}

// newPool checks cfg; onEvent may be nil.
func newPool(cfg poolConfig, onEvent func(now, stamp int64, ok bool)) (*pool, error) {
	if cfg.URL == nil || cfg.URL.Scheme != "http" || cfg.URL.Host == "" {
		return nil, errors.New("the SSE URL must be http://host[:port]/…")
	}
	for _, h := range cfg.Headers {
		if name, _, ok := strings.Cut(h, ":"); !ok || strings.TrimSpace(name) == "" {
			return nil, fmt.Errorf("header %q: want \"Name: value\"", h)
		}
	}
	cfg.SrcIPs = min(max(cfg.SrcIPs, 1), 254)
	cfg.Concurrency = max(cfg.Concurrency, 1)
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if onEvent == nil {
		onEvent = func(int64, int64, bool) {}
	}
	return &pool{cfg: cfg, onEvent: onEvent, errs: map[string]int{}}, nil
}

// request is the GET every connection sends.
func (p *pool) request() []byte {
	var b strings.Builder
	fmt.Fprintf(&b, "GET %s HTTP/1.1\r\nHost: %s\r\nAccept: text/event-stream\r\nCache-Control: no-cache\r\nUser-Agent: hasse-bench\r\n",
		p.cfg.URL.RequestURI(), p.cfg.URL.Host)
	for _, h := range p.cfg.Headers {
		b.WriteString(h + "\r\n")
	}
	b.WriteString("\r\n")
	return []byte(b.String())
}

// open makes n connections, Concurrency at a time, and returns once each has read its
// response head or failed, with the time that took. Established connections go on reading
// until close.
func (p *pool) open(ctx context.Context, n int) time.Duration {
	addr := p.cfg.URL.Host
	if p.cfg.URL.Port() == "" {
		addr = net.JoinHostPort(p.cfg.URL.Hostname(), "80")
	}
	ip := net.ParseIP(p.cfg.URL.Hostname())
	loopback := ip != nil && ip.To4() != nil && ip.IsLoopback()
	req := p.request()
	slots := make(chan struct{}, p.cfg.Concurrency)
	var ready sync.WaitGroup
	start := time.Now()
	for i := range n {
		slots <- struct{}{}
		ready.Add(1)
		p.readers.Go(func() {
			d := net.Dialer{Timeout: p.cfg.Timeout}
			if loopback {
				d.LocalAddr = &net.TCPAddr{IP: net.IPv4(127, 0, 0, byte(1+i%p.cfg.SrcIPs))}
			}
			c, s, first, err := p.connect(ctx, &d, addr, req)
			<-slots
			if err != nil {
				p.failed.Add(1)
				p.note(err)
				ready.Done()
				return
			}
			p.established.Add(1)
			ready.Done()
			p.read(c, s, first)
		})
	}
	ready.Wait()
	return time.Since(start)
}

// statusError is a response other than 200.
type statusError int

func (e statusError) Error() string { return fmt.Sprintf("HTTP %d", int(e)) }

// connect dials, sends req and reads the response head; it returns the connection, a stream
// for its body and the body bytes read with the head.
func (p *pool) connect(ctx context.Context, d *net.Dialer, addr string, req []byte) (net.Conn, *stream, []byte, error) {
	c, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, nil, nil, err
	}
	_ = c.SetDeadline(time.Now().Add(p.cfg.Timeout))
	if _, err := c.Write(req); err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	br := bufio.NewReaderSize(c, 1024) // for the head only; dropped after it
	resp, err := http.ReadResponse(br, nil)
	if err != nil {
		c.Close()
		return nil, nil, nil, err
	}
	if resp.StatusCode != http.StatusOK {
		c.Close()
		return nil, nil, nil, statusError(resp.StatusCode)
	}
	_ = c.SetDeadline(time.Time{})
	first, _ := br.Peek(br.Buffered())
	s := &stream{chunked: slices.Contains(resp.TransferEncoding, "chunked")}
	p.mu.Lock()
	p.conns = append(p.conns, c)
	p.mu.Unlock()
	return c, s, slices.Clone(first), nil
}

// read decodes the connection until it fails or the pool closes it.
func (p *pool) read(c net.Conn, s *stream, first []byte) {
	var now int64
	event := func(stamp int64, ok bool) { p.onEvent(now, stamp, ok) }
	buf := make([]byte, readBuffer)
	n := copy(buf, first) // the head's reader holds 1 KiB at most
	var err error
	for {
		if n > 0 {
			now = time.Now().UnixNano()
			if ferr := s.feed(buf[:n], event); ferr != nil {
				err = ferr
			}
		}
		if err != nil {
			break
		}
		n, err = c.Read(buf)
	}
	if !p.closing.Load() {
		p.dropped.Add(1)
		p.note(err)
	}
}

// note counts an error by its kind.
func (p *pool) note(err error) {
	k := errKind(err)
	p.mu.Lock()
	p.errs[k]++
	p.mu.Unlock()
}

// errKind names an error briefly for the summary: the errno, the HTTP status, "timeout",
// "EOF", or the start of its text.
func errKind(err error) string {
	var errno syscall.Errno
	var status statusError
	switch {
	case errors.As(err, &status):
		return status.Error()
	case errors.As(err, &errno):
		return errno.Error()
	case errors.Is(err, os.ErrDeadlineExceeded):
		return "timeout"
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return "EOF"
	}
	s := err.Error()
	if len(s) > 60 {
		s = s[:60]
	}
	return s
}

// errorCounts is a copy of the error counts by kind.
func (p *pool) errorCounts() map[string]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return maps.Clone(p.errs)
}

// alive is the number of connections established and not dropped.
func (p *pool) alive() int64 { return p.established.Load() - p.dropped.Load() }

// close closes every connection and waits for the readers to end.
func (p *pool) close() {
	p.closing.Store(true)
	p.mu.Lock()
	for _, c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.readers.Wait()
}

// errSummary prints error counts as ` "kind"×n`, in order of kind.
func errSummary(m map[string]int) string {
	var b strings.Builder
	for _, k := range slices.Sorted(maps.Keys(m)) {
		fmt.Fprintf(&b, " %q×%d", k, m[k])
	}
	return b.String()
}
