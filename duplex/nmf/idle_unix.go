//go:build unix

package nmf

import (
	"io"
	"net"
	"os"
	"syscall"
)

// rawConn returns the raw socket's syscall.RawConn, made on first use with
// the functions given to it (method values made once: no allocation per
// wait), or nil when the socket offers no raw access.
func (c *conn) rawConn() syscall.RawConn {
	if c.rc != nil || c.noRaw {
		return c.rc
	}
	sc, ok := c.raw.(syscall.Conn)
	if !ok {
		c.noRaw = true
		return nil
	}
	rc, err := sc.SyscallConn()
	if err != nil {
		c.noRaw = true
		return nil
	}
	c.rc = rc
	c.tryFn = c.readOnce
	wake := c.wakeOnce
	c.waitFn = func() error {
		c.waited = false
		return rc.Read(wake)
	}
	return rc
}

// rawWaiter returns a function that blocks until the raw socket is readable
// (or at EOF, or failed: the read that follows reports those), or nil when
// the socket offers no raw access. It follows a read that found nothing
// (tryFill), so it goes straight to the poller, which reports what arrived
// since; after the poller's wake-up it does not look again (a spurious
// wake-up only means the read that follows waits with its buffer).
func (c *conn) rawWaiter() func() error {
	if c.rawConn() == nil {
		return nil
	}
	return c.waitFn
}

// wakeOnce is rawWaiter's readiness test for RawConn.Read: false (wait for
// the poller) the first time, true after the wake-up.
func (c *conn) wakeOnce(uintptr) bool {
	if c.waited {
		return true
	}
	c.waited = true
	return false
}

// readNow reads into p what the raw socket holds, without waiting:
// errWouldWait when nothing is there (or the socket cannot be read now:
// the wait that follows reports why), io.EOF at the client's EOF.
func (c *conn) readNow(p []byte) (int, error) {
	rc := c.rawConn()
	if rc == nil {
		return 0, errWouldWait
	}
	c.tryP = p
	err := rc.Read(c.tryFn)
	c.tryP = nil
	n, rerr := c.tryN, c.tryErr
	c.tryN, c.tryErr = 0, nil
	switch {
	case err != nil, rerr == syscall.EAGAIN:
		return 0, errWouldWait
	case rerr != nil:
		return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.raw.LocalAddr(), Addr: c.raw.RemoteAddr(), Err: os.NewSyscallError("read", rerr)}
	case n == 0:
		return 0, io.EOF
	}
	return n, nil
}

// readOnce is readNow's function for RawConn.Read: one read, never a wait.
func (c *conn) readOnce(fd uintptr) bool {
	for {
		n, err := syscall.Read(int(fd), c.tryP)
		if err == syscall.EINTR {
			continue
		}
		c.tryN, c.tryErr = max(n, 0), err
		return true
	}
}
