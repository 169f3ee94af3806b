package server_test

import (
	"bufio"
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/soap/xmlstream"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// ---- a net.tcp client that speaks the captured Mono bytes ----

func mb31(dst []byte, v int) []byte {
	for v >= 0x80 {
		dst = append(dst, byte(v)|0x80)
		v >>= 7
	}
	return append(dst, byte(v))
}

func golden(t testing.TB, name string) []byte {
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
	t     testing.TB
	conn  net.Conn
	r     *bufio.Reader
	codec *soap.Codec // decodes the server's messages (its NBFSE table grows)
}

// openProvision connects, sends the preamble and InitializeAsyncProvisioning
// (Mono's captured message) and checks the reply.
func openProvision(t testing.TB, addr string) *tcpSession {
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

func httpGet(t testing.TB, url string) (int, string) {
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
