//go:build unix

package nmf

import (
	"errors"
	"syscall"
)

// rawWaiter returns a function that blocks until the raw socket is readable
// (or at EOF, or failed: the read that follows reports those), or nil when
// the socket offers no raw access. It peeks one byte without consuming it;
// after the poller's wake-up it does not peek again (a spurious wake-up
// only means the read that follows waits with its buffer).
func (c *conn) rawWaiter() func() error {
	if c.waitFn == nil {
		sc, ok := c.raw.(syscall.Conn)
		if !ok {
			return nil
		}
		rc, err := sc.SyscallConn()
		if err != nil {
			return nil
		}
		peek := c.peekOnce // method values made once: no allocation per wait
		c.waitFn = func() error {
			c.peeked = false
			return rc.Read(peek)
		}
	}
	return c.waitFn
}

// peekOnce is rawWaiter's readiness test for RawConn.Read: true when a byte
// (or EOF, or an error) is there; false sends the poller to wait.
func (c *conn) peekOnce(fd uintptr) bool {
	if c.peeked {
		return true
	}
	c.peeked = true
	var b [1]byte
	_, _, err := syscall.Recvfrom(int(fd), b[:], syscall.MSG_PEEK|syscall.MSG_DONTWAIT)
	return !errors.Is(err, syscall.EAGAIN)
}
