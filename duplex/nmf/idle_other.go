//go:build !unix

package nmf

// rawWaiter: without a raw peek the connection keeps its buffers while idle.
func (c *conn) rawWaiter() func() error { return nil }

// readNow: without raw access every read may wait.
func (c *conn) readNow([]byte) (int, error) { return 0, errWouldWait }
