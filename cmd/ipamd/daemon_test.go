package main

import (
	"bufio"
	"encoding/json"
	"errors"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// daemon is `ipamd serve` running as a child process, with its JSON log
// lines parsed as they come.
type daemon struct {
	t      *testing.T
	cmd    *exec.Cmd
	mu     sync.Mutex
	lines  []map[string]any
	raw    strings.Builder
	newLog chan struct{}
	exited chan struct{}
	err    error // cmd.Wait's, once exited is closed

	netTCP string // the net.tcp listener's address
	admin  string // the admin listener's address ("" if none)
}

// startDaemon runs ipamd serve with a net.tcp listener and an admin
// listener on OS-chosen loopback ports, plus args, and waits for "ready".
func startDaemon(t *testing.T, args ...string) *daemon {
	t.Helper()
	return startDaemonEnv(t, nil, args...)
}

// startDaemonEnv is startDaemon with more environment variables.
func startDaemonEnv(t *testing.T, env []string, args ...string) *daemon {
	t.Helper()
	all := append([]string{"serve", "--listen", "net.tcp://127.0.0.1:0", "--admin-listen", "127.0.0.1:0",
		"--state-dir", t.TempDir()}, args...)
	d := &daemon{t: t, cmd: exec.Command(binary, all...), newLog: make(chan struct{}, 1), exited: make(chan struct{})}
	d.cmd.Env = append(cleanEnv(), env...)
	stderr, err := d.cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := d.cmd.Start(); err != nil {
		t.Fatal(err)
	}
	go func() {
		sc := bufio.NewScanner(stderr)
		sc.Buffer(make([]byte, 64<<10), 1<<20)
		for sc.Scan() {
			var m map[string]any
			d.mu.Lock()
			d.raw.WriteString(sc.Text() + "\n")
			if json.Unmarshal(sc.Bytes(), &m) == nil {
				d.lines = append(d.lines, m)
			}
			d.mu.Unlock()
			select {
			case d.newLog <- struct{}{}:
			default:
			}
		}
		_, _ = io.Copy(io.Discard, stderr)
		d.err = d.cmd.Wait() // after stderr is read to EOF, as os/exec asks
		close(d.exited)
	}()
	t.Cleanup(func() {
		select {
		case <-d.exited:
		default:
			_ = d.cmd.Process.Kill()
			<-d.exited
		}
		if t.Failed() {
			t.Logf("ipamd log:\n%s", d.log())
		}
	})
	d.netTCP = d.waitLog("listening", 20*time.Second)["addr"].(string)
	if a := d.waitLog("admin listening", 5*time.Second); a != nil {
		d.admin, _ = a["addr"].(string)
	}
	d.waitLog("ready", 5*time.Second)
	return d
}

func (d *daemon) log() string {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.raw.String()
}

// findLog returns the first log entry with msg, or nil.
func (d *daemon) findLog(msg string) map[string]any {
	d.mu.Lock()
	defer d.mu.Unlock()
	for _, l := range d.lines {
		if l["msg"] == msg {
			return l
		}
	}
	return nil
}

// waitLog waits for a log entry with msg.
func (d *daemon) waitLog(msg string, timeout time.Duration) map[string]any {
	d.t.Helper()
	deadline := time.After(timeout)
	for {
		if l := d.findLog(msg); l != nil {
			return l
		}
		select {
		case <-d.newLog:
		case <-d.exited:
			if l := d.findLog(msg); l != nil {
				return l
			}
			d.t.Fatalf("ipamd exited (%v) without logging %q", d.err, msg)
		case <-deadline:
			d.t.Fatalf("no %q log entry within %v", msg, timeout)
		}
	}
}

func (d *daemon) signal(sig os.Signal) {
	d.t.Helper()
	if err := d.cmd.Process.Signal(sig); err != nil {
		d.t.Fatal(err)
	}
}

// exitCode waits for the process to exit and returns its exit code.
func (d *daemon) exitCode(timeout time.Duration) int {
	d.t.Helper()
	select {
	case <-d.exited:
	case <-time.After(timeout):
		d.t.Fatalf("ipamd did not exit within %v", timeout)
	}
	var ee *exec.ExitError
	switch {
	case d.err == nil:
		return 0
	case errors.As(d.err, &ee):
		return ee.ExitCode()
	}
	d.t.Fatal(d.err)
	return -1
}

// ---- a net.tcp client that speaks the captured Mono bytes ----

func mb31(dst []byte, v int) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func golden(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../../soap/nbfx/testdata/golden/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// tcpSession is one IIpamAsyncProvision session over net.tcp with the
// binary session encoding.
type tcpSession struct {
	t     *testing.T
	conn  net.Conn
	r     *bufio.Reader
	codec *soap.Codec // decodes the server's messages (its NBFSE table grows)
}

// openProvision connects, sends the preamble and InitializeAsyncProvisioning
// (Mono's captured message) and checks the reply.
func openProvision(t *testing.T, addr string) *tcpSession {
	t.Helper()
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	s := &tcpSession{t: t, conn: conn, r: bufio.NewReader(conn), codec: soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})}
	via := "net.tcp://" + addr + "/ipam/IIpamAsyncProvision"
	b := []byte{0x00, 0x01, 0x00, 0x01, 0x02, 0x02}
	b = mb31(b, len(via))
	b = append(b, via...)
	b = append(b, 0x03, 0x08, 0x0c)
	s.write(append(b, s.sized(golden(t, "A_c2s_01.bin"))...))
	if typ, _ := s.record(); typ != 0x0b {
		t.Fatalf("got record 0x%02x, want the PreambleAck", typ)
	}
	if action, _, _ := s.next(); action != ipam.ActionInitializeAsyncProvisioningResponse {
		t.Fatalf("Initialize answered with %q", action)
	}
	return s
}

func (s *tcpSession) sized(p []byte) []byte { return append(mb31([]byte{0x06}, len(p)), p...) }

func (s *tcpSession) write(b []byte) {
	s.t.Helper()
	if _, err := s.conn.Write(b); err != nil {
		s.t.Fatal(err)
	}
}

// start sends StartAsyncProvisioning and reads NotifyAsyncProvisionStart.
func (s *tcpSession) start() {
	s.t.Helper()
	s.write(s.sized(golden(s.t, "A_c2s_02.bin")))
	if action, _, _ := s.next(); !strings.HasSuffix(action, "/NotifyAsyncProvisionStart") {
		s.t.Fatalf("got %q, want NotifyAsyncProvisionStart", action)
	}
}

// record reads one framing record: its type and, for 0x06/0x08, payload.
func (s *tcpSession) record() (byte, []byte) {
	s.t.Helper()
	_ = s.conn.SetReadDeadline(time.Now().Add(30 * time.Second))
	typ, err := s.r.ReadByte()
	if err != nil {
		s.t.Fatalf("reading a record: %v", err)
	}
	switch typ {
	case 0x06, 0x08:
		n, shift := 0, 0
		for {
			c, err := s.r.ReadByte()
			if err != nil {
				s.t.Fatal(err)
			}
			n |= int(c&0x7f) << shift
			if c < 0x80 {
				break
			}
			shift += 7
		}
		p := make([]byte, n)
		if _, err := io.ReadFull(s.r, p); err != nil {
			s.t.Fatal(err)
		}
		return typ, p
	}
	return typ, nil
}

// next reads the next message: its action and, for Notify…Complete, the
// exception (nil for success). end is true for the server's End record.
func (s *tcpSession) next() (action string, exc *ipam.IpamException, end bool) {
	s.t.Helper()
	typ, p := s.record()
	switch typ {
	case 0x07:
		return "", nil, true
	case 0x06:
	default:
		s.t.Fatalf("got record 0x%02x (payload %q), want a message or End", typ, p)
	}
	env, err := s.codec.Decode(p)
	if err != nil {
		s.t.Fatalf("undecodable server message: %v", err)
	}
	action = env.Header.Action
	if !strings.HasSuffix(action, "Complete") {
		return action, nil, false
	}
	body := env.Body()
	if _, err := xmlstream.NextStart(body); err != nil {
		s.t.Fatal(err)
	}
	for {
		c, err := xmlstream.NextStart(body)
		if err != nil || c == nil {
			return action, nil, false
		}
		if c.Name.Local != "exception" {
			_ = xmlstream.Skip(body)
			continue
		}
		if xmlstream.IsNil(c) {
			return action, nil, false
		}
		exc, err := ipam.ReadException(body)
		if err != nil {
			s.t.Fatal(err)
		}
		return action, exc, false
	}
}

// complete reads past checkpoints to Notify…Complete and returns its
// exception, then expects the server's End.
func (s *tcpSession) complete() (checkpoints int, exc *ipam.IpamException) {
	s.t.Helper()
	for {
		action, e, end := s.next()
		switch {
		case end:
			s.t.Fatal("the server ended the session without Notify…Complete")
		case strings.HasSuffix(action, "/NotifyAsyncProvisionCheckpoint"):
			checkpoints++
			continue
		case strings.HasSuffix(action, "/NotifyAsyncProvisionComplete"):
		default:
			s.t.Fatalf("unexpected %q", action)
		}
		if _, _, end := s.next(); !end {
			s.t.Fatal("no End after Notify…Complete")
		}
		return checkpoints, e
	}
}

// end sends the client's End. With serverCloses (a draining server, which
// takes no further session on the connection) it expects the server to
// close; otherwise the server keeps the connection for reuse, and the
// client closes it as a pooled .NET client eventually does.
func (s *tcpSession) end(serverCloses bool) {
	s.t.Helper()
	s.write([]byte{0x07})
	if !serverCloses {
		_ = s.conn.Close()
		return
	}
	_ = s.conn.SetReadDeadline(time.Now().Add(15 * time.Second))
	if b, err := s.r.ReadByte(); err != io.EOF {
		s.t.Fatalf("after End: read 0x%02x %v, want the server to close", b, err)
	}
}

func httpGet(t *testing.T, url string) (int, string) {
	t.Helper()
	c := &httpClient
	resp, err := c.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return resp.StatusCode, string(b)
}

var httpClient = http.Client{Timeout: 10 * time.Second}
