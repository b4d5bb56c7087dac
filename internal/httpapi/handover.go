package httpapi

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"time"

	"hasse/internal/hub"
	"hasse/internal/writer"
)

// handOver writes the head of an HTTP/1.1 stream to its hijacked connection nc, then the client's
// backlog, and gives the rest to the pooled writers: the handler's goroutine, with its stack and
// buffers, ends. Where the pool cannot take the connection, the stream is written from here.
// The response is chunked, as net/http would write it. When stop ends (the server begins to
// stop) while the head or the backlog is being written to a client that does not read, the
// write is given up: the hijacked connection is no request the server's shutdown waits for.
func (s *Server) handOver(stop context.Context, pool *writer.Pool, nc net.Conn, header http.Header, c *hub.Client, first []byte, ended func()) {
	header.Set("Connection", "keep-alive")
	header.Set("Transfer-Encoding", "chunked")
	header.Set("Date", time.Now().UTC().Format(http.TimeFormat)) // as net/http sends, and RFC 9110 asks
	head := []byte("HTTP/1.1 200 OK\r\n")
	head = appendHeader(head, header)
	head = append(head, "\r\n"...)
	out := chunkedOutput{nc}
	abort := func() { _ = nc.SetWriteDeadline(time.Now()) }
	c.AbortOnDrop(abort) // a dropped client's backlog stops at once
	halt := context.AfterFunc(stop, abort)
	err := nc.SetWriteDeadline(time.Now().Add(s.cfg.ReadHeaderTimeout))
	if err == nil {
		var n int64
		n, err = (&net.Buffers{head, chunkSize(len(first)), first, crlf}).WriteTo(nc)
		c.Wrote(int(n))
	}
	if err == nil {
		err = c.WriteBacklog(out)
	}
	if !halt() {
		err = context.Canceled // the deadline may have been set after the last write: start no more
	}
	if err == nil {
		if pool.Add(c, nc, ended) == nil {
			return
		}
		if c.Stream(context.Background(), out) == nil { // it ends when a write fails or the hub ends c
			_, _ = nc.Write([]byte("0\r\n\r\n"))
		}
	}
	_ = nc.Close()
	c.Close()
	ended()
}

// appendHeader appends h in wire form.
func appendHeader(dst []byte, h http.Header) []byte {
	for name, values := range h {
		for _, v := range values {
			dst = append(append(append(append(dst, name...), ": "...), v...), "\r\n"...)
		}
	}
	return dst
}

var crlf = []byte("\r\n")

func chunkSize(n int) []byte {
	return append(strconv.AppendInt(nil, int64(n), 16), crlf...)
}

// chunkedOutput writes each write to a hijacked connection as one chunk.
type chunkedOutput struct{ net.Conn }

func (o chunkedOutput) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if _, err := (&net.Buffers{chunkSize(len(p)), p, crlf}).WriteTo(o.Conn); err != nil {
		return 0, err
	}
	return len(p), nil
}

func (chunkedOutput) Flush() error { return nil }
