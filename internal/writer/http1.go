package writer

import (
	"context"
	"net"
	"net/http"
	"strconv"
	"time"
)

// Each write to a hijacked HTTP/1.1 connection is one chunk of the chunked transfer coding
// (RFC 9112 §7.1): a size line, the bytes, CRLF. The pool builds its buffers from chunkHead on,
// leaving room for the size line in front; the stream ends with lastChunk.
const (
	chunkHead = 10 // 8 hex digits and CRLF
	lastChunk = "0\r\n\r\n"
)

var crlf = []byte("\r\n")

// appendChunkSize appends the size line of a chunk of n bytes.
func appendChunkSize(dst []byte, n int) []byte {
	return append(strconv.AppendUint(dst, uint64(n), 16), crlf...)
}

// chunk frames buf[chunkHead:] as one chunk, in place, and returns the framed bytes.
func chunk(buf []byte) []byte {
	var line [chunkHead]byte
	size := appendChunkSize(line[:0], len(buf)-chunkHead)
	start := chunkHead - len(size)
	copy(buf[start:], size)
	return append(buf, crlf...)[start:]
}

// appendHead appends the head of a chunked HTTP/1.1 response that keeps its connection, with
// the headers of h, as net/http would write it.
func appendHead(dst []byte, h http.Header) []byte {
	h.Set("Connection", "keep-alive")
	h.Set("Transfer-Encoding", "chunked")
	h.Set("Date", time.Now().UTC().Format(http.TimeFormat)) // as net/http sends, and RFC 9110 asks
	dst = append(dst, "HTTP/1.1 200 OK\r\n"...)
	for name, values := range h {
		for _, v := range values {
			dst = append(append(append(append(dst, name...), ": "...), v...), crlf...)
		}
	}
	return append(dst, crlf...)
}

// chunkedOutput writes each write to a hijacked connection as one chunk, in one write(2).
// (Not writev: a connection that has written once with writev keeps its iovec array for good, 86
// bytes more for every idle client.)
type chunkedOutput struct{ net.Conn }

func (o chunkedOutput) Write(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if _, err := o.Conn.Write(appendChunk(make([]byte, 0, len(p)+len(crlf)+16), p)); err != nil {
		return 0, err
	}
	return len(p), nil
}

// appendChunk appends p to dst as one chunk of the chunked coding.
func appendChunk(dst, p []byte) []byte {
	return append(append(appendChunkSize(dst, len(p)), p...), crlf...)
}

func (chunkedOutput) Flush() error { return nil }

// handOver writes the head of an HTTP/1.1 stream with the headers h to its hijacked connection
// nc, then first and src's backlog, and gives the rest to pool: the handler's goroutine, with its
// stack and buffers, ends. Where the pool cannot take the connection (it has stopped), the
// stream is written from here until the hub ends it, with its last words, as the pool would. When
// stop ends while the head or the backlog is being written to a client that does not read, the
// write is given up; once they are out, the stream is owed its goodbye like any other, but the
// wait for the hub to end it is bounded as the pool bounds its own.
func (w *Writer) handOver(stop context.Context, pool *Pool, nc net.Conn, h http.Header, src Source, first []byte, ended func()) {
	out := chunkedOutput{nc}
	abort := func() { _ = nc.SetWriteDeadline(time.Now()) }
	src.Wake(wakeOrAbort(src, nil, abort)) // a dropped client's backlog stops at once
	aborted := make(chan struct{})
	halt := context.AfterFunc(stop, func() { abort(); close(aborted) })
	err := nc.SetWriteDeadline(time.Now().Add(w.cfg.HeadTimeout))
	if err == nil {
		head := appendHead(nil, h)
		if len(first) > 0 { // an empty chunk would end the response
			head = appendChunk(head, first)
		}
		var n int
		n, err = nc.Write(head)
		src.Wrote(n)
	}
	if err == nil {
		err = w.writeBacklog(src, out)
	}
	if !halt() {
		<-aborted // its deadline is set: each write from here on sets its own
	}
	if err == nil {
		if pool.Add(src, nc, ended) == nil {
			return
		}
		ctx, cancel := context.WithCancel(context.Background())
		defer cancel()
		grace := context.AfterFunc(stop, func() { time.AfterFunc(w.cfg.FinalWriteTimeout+w.cfg.SweepEvery, cancel) })
		defer grace()
		if w.Stream(ctx, src, out) == nil { // it ends when a write fails or the hub ends src
			_, _ = nc.Write([]byte(lastChunk))
		}
	}
	_ = nc.Close()
	src.Close()
	ended()
}
