// Package e2e drives the whole net.tcp stack in-process over loopback TCP:
// framing, binary session encoding, sessions and services, with the real
// bytes a Mono WCF client sent (captured on loopback, in
// soap/nbfx/testdata/golden).
package e2e

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"testing"
	"time"

	"go.uber.org/goleak"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/internal/server"
	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }

// The Mono capture's Via path and its first client message (session A:
// InitializeAsyncProvisioning with an 11-string NBFSE table).
const via = "net.tcp://127.0.0.2:18081/IpamAsyncProvision"

func initializePayload(tb testing.TB) []byte {
	tb.Helper()
	p, err := os.ReadFile("../../soap/nbfx/testdata/golden/A_c2s_01.bin")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// sessionBytes is what a client writes to open a session and call
// Initialize: preamble (version, duplex, via, binary session, end) and one
// sized envelope.
func sessionBytes(payload []byte) []byte {
	b := nmf.AppendPreamble(nil, via, nmf.EncodingBinarySession)
	return nmf.AppendSizedEnvelope(b, payload)
}

// startServer runs the whole server (servertest: what ipamd serve runs)
// with the capture's endpoint paths on loopback, on the in-memory store;
// stop drains it.
func startServer(tb testing.TB) (addr string, stop func()) {
	tb.Helper()
	s := servertest.Start(tb,
		servertest.Set("listen", "net.tcp://127.0.0.1:0"),
		servertest.Set("admin.listen", ""),
		servertest.Set("log.level", "warn"),
		servertest.Set("endpoints.provision_path", "/IpamAsyncProvision"),
		servertest.Set("endpoints.schema_conversion_path", "/IpamAsyncSchemaConversion"),
		servertest.Set("session.checkpoint_interval", "1s"),
		servertest.WithServerOptions(server.WithStore(services.NewMemory(false, false))))
	return s.NetTCP, func() {
		if err := s.Stop(); err != nil {
			tb.Errorf("stop: %v", err)
		}
	}
}

// readRecord reads one framing record: its type and, for a sized envelope
// or fault, its payload.
func readRecord(r *bufio.Reader) (byte, []byte, error) {
	t, err := r.ReadByte()
	if err != nil {
		return 0, nil, err
	}
	switch t {
	case 0x0b, 0x07:
		return t, nil, nil
	case 0x06, 0x08:
		n, shift := 0, 0
		for {
			b, err := r.ReadByte()
			if err != nil {
				return 0, nil, err
			}
			n |= int(b&0x7f) << shift
			if b < 0x80 {
				break
			}
			shift += 7
		}
		p := make([]byte, n)
		_, err := io.ReadFull(r, p)
		return t, p, err
	}
	return t, nil, fmt.Errorf("unexpected record 0x%02x", t)
}

// initializeRoundTrip opens a session on conn, calls Initialize, checks the
// reply, and ends the session (End → End), leaving conn reusable.
func initializeRoundTrip(conn net.Conn, r *bufio.Reader, open []byte, dec *soap.Codec) error {
	if _, err := conn.Write(open); err != nil {
		return err
	}
	if t, _, err := readRecord(r); err != nil || t != 0x0b {
		return fmt.Errorf("preamble ack: 0x%02x %v", t, err)
	}
	t, p, err := readRecord(r)
	if err != nil || t != 0x06 {
		return fmt.Errorf("reply: 0x%02x %v", t, err)
	}
	if dec != nil {
		env, err := dec.Decode(p)
		if err != nil {
			return err
		}
		if env.Header.Action != ipam.ActionInitializeAsyncProvisioningResponse || env.IsFault() {
			return fmt.Errorf("reply action %q fault=%v", env.Header.Action, env.IsFault())
		}
	}
	if _, err := conn.Write([]byte{0x07}); err != nil {
		return err
	}
	if t, _, err := readRecord(r); err != nil || t != 0x07 {
		return fmt.Errorf("end: 0x%02x %v", t, err)
	}
	return nil
}

// TestInitializeRoundTripWithConnectionReuse runs three sessions one after
// another on one TCP connection, as a .NET client's connection pool does.
//
// Rule T4. (docs/protocol.md)
func TestInitializeRoundTripWithConnectionReuse(t *testing.T) {
	addr, stop := startServer(t)
	defer stop()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	open := sessionBytes(initializePayload(t))
	for i := range 3 {
		if err := initializeRoundTrip(conn, r, open, soap.NewCodec(soap.EncodingBinarySession, soap.Limits{})); err != nil {
			t.Fatalf("session %d: %v", i, err)
		}
	}
}

// BenchmarkSessionRoundTrip: one full net.tcp session per op through the whole
// stack (preamble + ack, Initialize + reply, End + End) on a reused loopback
// connection.
func BenchmarkSessionRoundTrip(b *testing.B) {
	addr, stop := startServer(b)
	defer stop()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		b.Fatal(err)
	}
	defer conn.Close()
	r := bufio.NewReader(conn)
	open := sessionBytes(initializePayload(b))
	b.ReportAllocs()
	b.SetBytes(int64(len(open) + 1))
	b.ResetTimer()
	for b.Loop() {
		if err := initializeRoundTrip(conn, r, open, nil); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkRawEchoRoundTrip is the ceiling for BenchmarkSessionRoundTrip:
// the same client bytes in the same two exchanges, echoed by a plain TCP
// server on the same loopback.
func BenchmarkRawEchoRoundTrip(b *testing.B) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	defer ln.Close()
	done := make(chan struct{})
	go func() {
		defer close(done)
		c, err := ln.Accept()
		if err != nil {
			return
		}
		defer c.Close()
		_, _ = io.Copy(c, c)
	}()
	conn, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		b.Fatal(err)
	}
	open := sessionBytes(initializePayload(b))
	buf := make([]byte, len(open))
	b.ReportAllocs()
	b.SetBytes(int64(len(open) + 1))
	b.ResetTimer()
	for b.Loop() {
		if _, err := conn.Write(open); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(conn, buf); err != nil {
			b.Fatal(err)
		}
		if _, err := conn.Write(buf[:1]); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(conn, buf[:1]); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	conn.Close()
	<-done
}

// TestMalformedEnvelopeGetsSOAPFaultAndClose sends an undecodable binary
// envelope through the whole stack: the answer is a SOAP 1.2 fault carrying
// an IpamException, then End, then the server closes the connection.
//
// Rule G8. (docs/protocol.md)
func TestMalformedEnvelopeGetsSOAPFaultAndClose(t *testing.T) {
	addr, stop := startServer(t)
	defer stop()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close()
	_ = conn.SetDeadline(time.Now().Add(10 * time.Second))
	good := initializePayload(t)
	bad := append([]byte(nil), good[:len(good)/2]...) // cut mid-document
	if _, err := conn.Write(sessionBytes(bad)); err != nil {
		t.Fatal(err)
	}
	r := bufio.NewReader(conn)
	if typ, _, err := readRecord(r); err != nil || typ != 0x0b {
		t.Fatalf("preamble ack: 0x%02x %v", typ, err)
	}
	typ, p, err := readRecord(r)
	if err != nil || typ != 0x06 {
		t.Fatalf("want a SOAP fault message, got 0x%02x %v", typ, err)
	}
	env, err := soap.NewCodec(soap.EncodingBinarySession, soap.Limits{}).Decode(p)
	if err != nil || !env.IsFault() {
		t.Fatalf("not a fault: %v", err)
	}
	_, detail, err := soap.ReadFault(env.Body())
	if err != nil || !bytes.Contains(detail, []byte("IpamApiInvalidParameter")) {
		t.Fatalf("fault detail %q, %v", detail, err)
	}
	if typ, _, err := readRecord(r); err != nil || typ != 0x07 {
		t.Fatalf("want End after the fault, got 0x%02x %v", typ, err)
	}
	if _, err := conn.Write([]byte{0x07}); err != nil {
		t.Fatal(err)
	}
	if _, err := r.ReadByte(); err != io.EOF {
		t.Fatalf("connection not closed after the fatal fault: %v", err)
	}
}
