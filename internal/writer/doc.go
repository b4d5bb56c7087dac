// Package writer owns writing a client's stream to its connection: the HTTP/1.1 head and the
// chunked transfer coding, the backlog (snapshot and replay), the frames the hub queues,
// keep-alives, write deadlines and the last words once the hub has ended the stream.
//
// A [Writer] writes each stream the way its connection allows. A plain HTTP/1.1 stream is
// hijacked from net/http and handed, once its head and backlog are out, to a [Pool]: a few
// goroutines, one per core, that write many clients' streams without blocking, keep what a full
// socket would not take until the kernel says it drains, send keep-alives, and learn from epoll
// when a client hangs up. A quiet client costs a few hundred bytes there, not a goroutine's stack
// and buffers, and no timer. Streams over HTTP/2 or TLS, and every stream where the system has no
// epoll, are written by their handler's goroutine ([Writer.Stream]).
//
// The writer reads a stream from a [Source] (hub.Client is one) and never from the hub itself:
// the hub queues frames and says why it ended a client; the writer turns that into bytes.
package writer
