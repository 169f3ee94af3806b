//go:build unix

package nmf

import (
	"io"
	"net"
	"os"
	"syscall"
)

// rawConn returns the raw socket's syscall.RawConn, made on first use with
// the function given to it (a method value made once: no allocation per
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
	c.rc, c.waitFn = rc, c.readThenWait
	return rc
}

// awaitRaw waits until the raw socket has bytes for the Framer (or the
// client's EOF, or an error: the read that follows reports those). It
// first reads what is there without waiting; only if nothing is does it
// lend the buffers and wait for the poller, in the same RawConn.Read, so
// the poller's readiness is not reset between the read and the wait (a
// second RawConn.Read would, and lose a wake-up). After the wake-up it does
// not look again: a spurious wake-up only means the read that follows
// waits with its buffer.
func (c *conn) awaitRaw() error {
	rc := c.rawConn()
	if rc == nil {
		return nil
	}
	c.waited = false
	err := rc.Read(c.waitFn)
	if c.lent {
		c.lent = false
		c.fr.take(&c.rd)
	}
	return err
}

// readThenWait is awaitRaw's function for RawConn.Read: true when the
// Framer has something to read, false (after lending the buffers) to wait
// for the poller; true after the wake-up.
func (c *conn) readThenWait(fd uintptr) bool {
	if c.waited {
		return true
	}
	c.waited = true
	c.rfd = fd
	if c.tryFill() {
		return true
	}
	c.fr.lend()
	c.lent = true
	return false
}

// readNow reads into p what the raw socket holds, without waiting (within
// awaitRaw's RawConn.Read): errWouldWait when nothing is there, io.EOF at
// the client's EOF.
func (c *conn) readNow(p []byte) (int, error) {
	for {
		n, err := syscall.Read(int(c.rfd), p)
		switch {
		case err == syscall.EINTR:
			continue
		case err == syscall.EAGAIN:
			return 0, errWouldWait
		case err != nil:
			return 0, &net.OpError{Op: "read", Net: "tcp", Source: c.raw.LocalAddr(), Addr: c.raw.RemoteAddr(), Err: os.NewSyscallError("read", err)}
		case n == 0:
			return 0, io.EOF
		}
		return n, nil
	}
}
