//go:build !linux

package writer

import "errors"

// poller needs epoll: elsewhere New fails and streams are written by their handlers.
type poller struct{}

func newPoller() (*poller, error)       { return nil, errors.ErrUnsupported }
func (*poller) add(*conn) error         { return errors.ErrUnsupported }
func (*poller) remove(*conn)            {}
func (*poller) run() error              { return nil }
func (*poller) stop()                   {}
func (*poller) close() error            { return nil }
func (*conn) write([]byte) (int, error) { return 0, errors.ErrUnsupported }
