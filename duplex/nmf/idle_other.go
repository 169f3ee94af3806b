//go:build !unix

package nmf

// awaitRaw: without raw access the connection keeps its buffers while
// idle, and the read that follows waits.
func (c *conn) awaitRaw() error { return nil }

// readNow: without raw access every read may wait.
func (c *conn) readNow([]byte) (int, error) { return 0, errWouldWait }
