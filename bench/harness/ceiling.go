package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"runtime"
	"sync"
	"sync/atomic"
	"time"
)

// ceiling is the trivial SSE server whose figures bound what any server that writes each
// delivery on its own can reach on this machine. POST /publish wraps its body once as
// "data: …\n\n"; one writer per core writes those same bytes to each of its connections, one
// write(2) per delivery, with no queue per client, no chunked coding and nothing else. Any GET
// subscribes.
type ceiling struct {
	writers []*ceilingWriter
	next    atomic.Uint64 // round-robin over writers for new connections
}

// ceilingWriter owns a share of the connections.
type ceilingWriter struct {
	frames chan []byte
	mu     sync.Mutex // guards conns: the handler adds, the writer writes and removes
	conns  []net.Conn
}

// newCeiling makes a ceiling with n writers; run starts them.
func newCeiling(n int) *ceiling {
	c := &ceiling{writers: make([]*ceilingWriter, max(n, 1))}
	for i := range c.writers {
		c.writers[i] = &ceilingWriter{frames: make(chan []byte, 1024)}
	}
	return c
}

// run writes frames until ctx ends, then closes every connection.
func (c *ceiling) run(ctx context.Context) {
	var wg sync.WaitGroup
	for _, w := range c.writers {
		wg.Go(func() { w.run(ctx) })
	}
	wg.Wait()
}

func (w *ceilingWriter) run(ctx context.Context) {
	for {
		select {
		case f := <-w.frames:
			w.mu.Lock()
			kept := w.conns[:0]
			for _, c := range w.conns {
				if _, err := c.Write(f); err != nil {
					c.Close()
					continue
				}
				kept = append(kept, c)
			}
			clear(w.conns[len(kept):])
			w.conns = kept
			w.mu.Unlock()
		case <-ctx.Done():
			w.mu.Lock()
			for _, c := range w.conns {
				c.Close()
			}
			w.conns = nil
			w.mu.Unlock()
			return
		}
	}
}

const ceilingHead = "HTTP/1.1 200 OK\r\nContent-Type: text/event-stream\r\nCache-Control: no-cache\r\n\r\n"

// handler serves POST /publish and subscriptions.
func (c *ceiling) handler() http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("POST /publish", func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			return
		}
		frame := make([]byte, 0, len(body)+8)
		frame = append(append(append(frame, "data: "...), body...), "\n\n"...)
		for _, wr := range c.writers {
			select {
			case wr.frames <- frame:
			case <-r.Context().Done():
				return
			}
		}
	})
	mux.HandleFunc("GET /", func(w http.ResponseWriter, r *http.Request) {
		conn, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			return
		}
		wr := c.writers[c.next.Add(1)%uint64(len(c.writers))]
		wr.mu.Lock() // the head goes out before any frame, and the client gets every frame after it
		defer wr.mu.Unlock()
		if _, err := io.WriteString(conn, ceilingHead); err != nil {
			conn.Close()
			return
		}
		wr.conns = append(wr.conns, conn)
	})
	return mux
}

// serveCeiling runs the ceiling on -addr until ctx ends.
func serveCeiling(ctx context.Context, args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("ceiling", flag.ContinueOnError)
	fs.SetOutput(stderr)
	addr := fs.String("addr", "127.0.0.1:8090", "listen address")
	if err := fs.Parse(args); err != nil {
		return err
	}
	raiseNofile()
	c := newCeiling(runtime.GOMAXPROCS(0))
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: c.handler(), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stdout, "ceiling on http://%s/ (POST /publish), %d writers\n", ln.Addr(), len(c.writers))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	wg.Go(func() { c.run(ctx) })
	wg.Go(func() {
		<-ctx.Done()
		srv.Close()
	})
	err = srv.Serve(ln)
	cancel()
	wg.Wait()
	if errors.Is(err, http.ErrServerClosed) {
		return nil
	}
	return err
}
