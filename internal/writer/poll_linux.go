package writer

import (
	"errors"
	"sync"
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// poller learns from epoll when a connection's client hangs up and when a socket that was full
// can take bytes again. Each connection is registered edge-triggered under a token of its own,
// so an event that arrives after its connection closed finds nothing.
type poller struct {
	epfd  int
	evfd  int // an eventfd that stops run
	mu    sync.Mutex
	conns map[uint32]*conn
	next  uint32
}

// stopToken is evfd's token.
const stopToken = 0

func newPoller() (*poller, error) {
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, err
	}
	evfd, err := unix.Eventfd(0, unix.EFD_CLOEXEC|unix.EFD_NONBLOCK)
	if err != nil {
		unix.Close(epfd)
		return nil, err
	}
	ev := unix.EpollEvent{Events: unix.EPOLLIN, Fd: stopToken}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, evfd, &ev); err != nil {
		unix.Close(epfd)
		unix.Close(evfd)
		return nil, err
	}
	return &poller{epfd: epfd, evfd: evfd, conns: make(map[uint32]*conn)}, nil
}

func (p *poller) add(c *conn) error {
	p.mu.Lock()
	for {
		p.next++
		if _, used := p.conns[p.next]; p.next != stopToken && !used {
			break
		}
	}
	c.token = p.next
	p.conns[c.token] = c
	p.mu.Unlock()
	ev := unix.EpollEvent{Events: unix.EPOLLOUT | unix.EPOLLRDHUP | unix.EPOLLET, Fd: int32(c.token)}
	var err error
	cerr := c.raw.Control(func(fd uintptr) { err = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_ADD, int(fd), &ev) })
	if err = errors.Join(cerr, err); err != nil {
		p.mu.Lock()
		delete(p.conns, c.token)
		p.mu.Unlock()
		c.token = stopToken // registered nowhere
	}
	return err
}

// remove forgets c; it runs before c's connection closes.
func (p *poller) remove(c *conn) {
	if c.token == stopToken {
		return
	}
	p.mu.Lock()
	delete(p.conns, c.token)
	p.mu.Unlock()
	_ = c.raw.Control(func(fd uintptr) { _ = unix.EpollCtl(p.epfd, unix.EPOLL_CTL_DEL, int(fd), nil) })
}

// run wakes connections as their sockets report, until stop; it returns epoll's error if epoll
// fails.
func (p *poller) run() error {
	events := make([]unix.EpollEvent, 256)
	for {
		n, err := unix.EpollWait(p.epfd, events, -1)
		if errors.Is(err, unix.EINTR) {
			continue
		}
		if err != nil {
			return err
		}
		for _, ev := range events[:n] {
			token := uint32(ev.Fd)
			if token == stopToken {
				return nil
			}
			p.mu.Lock()
			c := p.conns[token]
			p.mu.Unlock()
			if c == nil {
				continue
			}
			if ev.Events&(unix.EPOLLRDHUP|unix.EPOLLHUP|unix.EPOLLERR) != 0 {
				c.hungUp.Store(true)
			}
			c.wake()
		}
	}
}

// stop ends run.
func (p *poller) stop() {
	one := []byte{1, 0, 0, 0, 0, 0, 0, 0}
	_, _ = unix.Write(p.evfd, one)
}

func (p *poller) close() error {
	return errors.Join(unix.Close(p.epfd), unix.Close(p.evfd))
}

// write writes p to c's socket without blocking and says how much it took; a full socket is
// not an error. The socket is the shard's alone, never blocks, and is closed only by the shard,
// after its last write: so it is written by its descriptor with a raw system call, with no
// reference counting, write lock or poller bookkeeping and no hand-off of the thread to the
// scheduler (perf showed each among the costs of a delivery). The call is send(2), not
// write(2): it goes to the socket without the file layer's vfs_write (5 % of hasse's CPU under
// fan-out), and MSG_NOSIGNAL spares a hung-up client's SIGPIPE.
func (c *conn) write(p []byte) (n int, err error) {
	for n < len(p) {
		rest := p[n:]
		m, _, errno := syscall.RawSyscall6(syscall.SYS_SENDTO, c.fd, uintptr(unsafe.Pointer(unsafe.SliceData(rest))), uintptr(len(rest)),
			unix.MSG_DONTWAIT|unix.MSG_NOSIGNAL, 0, 0)
		switch {
		case errno == syscall.EINTR:
		case errno == syscall.EAGAIN:
			return n, nil
		case errno != 0:
			return n, errno
		case m == 0:
			return n, syscall.EPIPE
		default:
			n += int(m)
		}
	}
	return n, nil
}
