package nmf

import (
	"bytes"
	"context"
	"errors"
	"io"
	"net"
	"strings"
	"testing"
	"time"
)

// The preamble the client writes is byte for byte what Mono's WCF client
// wrote in the captured session A.
func TestClientPreambleMatchesMonoCapture(t *testing.T) {
	want := loadHex(t, "session-a-c2s.hex")[:54]
	got := AppendPreamble(nil, "net.tcp://127.0.0.2:18081/IpamAsyncProvision", EncodingBinarySession)
	if !bytes.Equal(got, want) {
		t.Fatalf("preamble\n got % x\nwant % x", got, want)
	}
}

func TestViaAddr(t *testing.T) {
	tests := []struct{ via, want, err string }{
		{"net.tcp://host:48885/ipam/IIpamAsyncProvision", "host:48885", ""},
		{"net.tcp://host/ipam", "host:808", ""},
		{"net.tcp://[::1]:9000/x", "[::1]:9000", ""},
		{"NET.TCP://Host:1/x", "Host:1", ""},
		{"http://host:80/x", "", "scheme must be net.tcp"},
		{"net.tcp:///x", "", "no host"},
		{"net.tcp://host:0/x", "", "out of range"},
		{"net.tcp://host:99999/x", "", "out of range"},
		{"net.tcp://host:%zz/x", "", "invalid"},
	}
	for _, tt := range tests {
		got, err := ViaAddr(tt.via)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ViaAddr(%q) = %q, %v; want error containing %q", tt.via, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("ViaAddr(%q) = %q, %v; want %q", tt.via, got, err, tt.want)
		}
	}
}

// TestClientSessionAgainstServer runs a whole client session against the
// server: preamble, envelopes both ways (small, and large enough to be
// written as two buffers), End both ways.
func TestClientSessionAgainstServer(t *testing.T) {
	rec := newRecorder(true)
	router := &testRouter{h: rec}
	_, addr := startServer(t, Options{MaxMessageSize: 256 << 10}, router)
	via := "net.tcp://" + addr + "/svc"
	ctx := context.Background()
	d := &Dialer{MaxMessageSize: 256 << 10}
	s, err := d.Dial(ctx, addr, via, EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	if s.Via() != via || s.Encoding() != EncodingBinarySession {
		t.Errorf("session via %q encoding %v", s.Via(), s.Encoding())
	}
	payloads := [][]byte{[]byte("a"), bytes.Repeat([]byte("x"), 300), bytes.Repeat([]byte("y"), copyLimit+10)}
	for _, p := range payloads {
		if err := s.WriteMessage(ctx, p); err != nil {
			t.Fatal(err)
		}
		got, err := s.ReadMessage(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, p) {
			t.Fatalf("echo of %d bytes: got %d bytes", len(p), len(got))
		}
	}
	if err := s.Close(ctx); err != nil {
		t.Fatalf("Close: %v", err)
	}
	rec.wait(t)
	got, errs := rec.got()
	if len(got) != len(payloads) || len(errs) != 1 || errs[0] != io.EOF {
		t.Fatalf("server saw %d payloads, errors %v", len(got), errs)
	}
	ps := router.preambles()
	if len(ps) != 1 || ps[0].Via != via || ps[0].Mode != ModeDuplex || ps[0].Major != 1 || ps[0].Minor != 0 ||
		ps[0].Encoding != EncodingBinarySession || ps[0].ContentType != "" || len(ps[0].Upgrades) != 0 {
		t.Fatalf("server decoded preamble %+v", ps)
	}
	if err := s.WriteMessage(ctx, []byte("late")); !errors.Is(err, ErrOutputClosed) {
		t.Errorf("write after Close: %v, want ErrOutputClosed", err)
	}
}

// The server ends first (as an IPAM server does after Notify…Complete): the
// client reads io.EOF, then Close sends End and returns at once.
func TestClientServerEndsFirst(t *testing.T) {
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		if err := s.WriteMessage(ctx, []byte("bye")); err != nil {
			return err
		}
		if err := s.CloseOutput(ctx); err != nil {
			return err
		}
		_, err := s.ReadMessage(ctx)
		if err != io.EOF {
			return err
		}
		return nil
	})
	_, addr := startServer(t, Options{}, &testRouter{h: h})
	ctx := context.Background()
	s, err := Dial(ctx, addr, "net.tcp://"+addr+"/svc", EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	if p, err := s.ReadMessage(ctx); err != nil || string(p) != "bye" {
		t.Fatalf("ReadMessage = %q, %v", p, err)
	}
	for range 2 { // sticky
		if _, err := s.ReadMessage(ctx); err != io.EOF {
			t.Fatalf("after the server's End: %v, want io.EOF", err)
		}
	}
	start := time.Now()
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}
	if d := time.Since(start); d > time.Second {
		t.Errorf("Close took %v", d)
	}
}

// Faults the server answers a preamble with come back as typed errors.
func TestClientPreambleFaults(t *testing.T) {
	held := make(chan struct{})
	hold := handlerFunc(func(ctx context.Context, s *Session) error {
		select {
		case <-held:
		case <-ctx.Done():
		}
		return nil
	})
	_, addr := startServer(t, Options{MaxConnections: 1}, &testRouter{h: hold})
	_, addr2 := startServer(t, Options{}, &testRouter{h: newRecorder(false)})
	tests := []struct {
		name, addr, via string
		enc             Encoding
		want            string
	}{
		{"unknown path", addr2, "net.tcp://h/nowhere", EncodingBinarySession, FaultEndpointNotFound},
		{"relative via", addr2, "svc", EncodingBinarySession, FaultEndpointNotFound},
		{"encoding refused", addr2, "net.tcp://h/svc", EncodingSOAP12UTF8, FaultContentTypeInvalid},
		{"too busy", addr, "net.tcp://h/svc", EncodingBinarySession, FaultServerTooBusy},
	}
	// Occupy the only connection of the first server.
	ctx := context.Background()
	busy, err := Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		close(held)
		_ = busy.Close(ctx)
	}()
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Dial(ctx, tt.addr, tt.via, tt.enc)
			var fe *FaultError
			if !errors.As(err, &fe) || fe.URI != tt.want || !errors.Is(err, ErrRemoteFault) {
				t.Fatalf("Dial = %v, %v; want fault %s", s, err, tt.want)
			}
		})
	}
}

func TestClientRejectsBadArguments(t *testing.T) {
	ctx := context.Background()
	if _, err := Dial(ctx, "127.0.0.1:1", "", EncodingBinarySession); err == nil {
		t.Error("empty via accepted")
	}
	if _, err := Dial(ctx, "127.0.0.1:1", "net.tcp://h/svc", Encoding(0x33)); err == nil {
		t.Error("unknown encoding accepted")
	}
}

// The server faults a message above its MaxMessageSize: the client's next
// read returns that fault, typed.
func TestClientServerFaultMidSession(t *testing.T) {
	_, addr := startServer(t, Options{MaxMessageSize: 1024}, &testRouter{h: newRecorder(true)})
	ctx := context.Background()
	s, err := Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if err := s.WriteMessage(ctx, make([]byte, 2000)); err != nil {
		t.Fatal(err)
	}
	_, err = s.ReadMessage(ctx)
	var fe *FaultError
	if !errors.As(err, &fe) || fe.URI != FaultMaxMessageSizeExceeded || !errors.Is(err, ErrRemoteFault) {
		t.Fatalf("ReadMessage: %v, want the MaxMessageSizeExceeded fault", err)
	}
	if _, again := s.ReadMessage(ctx); again != err {
		t.Errorf("error not sticky: %v", again)
	}
}

func TestClientMessageTooLarge(t *testing.T) {
	_, addr := startServer(t, Options{}, &testRouter{h: newRecorder(true)})
	ctx := context.Background()
	s, err := (&Dialer{MaxMessageSize: 100}).Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close(ctx)
	if err := s.WriteMessage(ctx, make([]byte, 101)); err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadMessage(ctx); !errors.Is(err, ErrMessageTooLarge) {
		t.Fatalf("ReadMessage: %v, want ErrMessageTooLarge", err)
	}
	if err := s.WriteMessage(ctx, []byte("x")); err == nil {
		t.Error("write on an aborted connection succeeded")
	}
}

// A context that ends while nothing of a record was read leaves the session
// usable; the read timeout aborts it.
func TestClientReadInterruptions(t *testing.T) {
	release := make(chan struct{})
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		p, err := s.ReadMessage(ctx)
		if err != nil {
			return err
		}
		<-release
		if err := s.WriteMessage(ctx, p); err != nil {
			return err
		}
		_, err = s.ReadMessage(ctx)
		if err == io.EOF {
			return nil
		}
		return err
	})
	_, addr := startServer(t, Options{}, &testRouter{h: h})
	ctx := context.Background()
	s, err := Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.WriteMessage(ctx, []byte("ping")); err != nil {
		t.Fatal(err)
	}
	cctx, cancel := context.WithTimeout(ctx, 50*time.Millisecond)
	_, err = s.ReadMessage(cctx)
	cancel()
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("ReadMessage with an expiring context: %v", err)
	}
	close(release)
	if p, err := s.ReadMessage(ctx); err != nil || string(p) != "ping" {
		t.Fatalf("ReadMessage after the interruption = %q, %v", p, err)
	}
	if err := s.Close(ctx); err != nil {
		t.Fatal(err)
	}

	// ReadTimeout: the server never answers.
	s, err = (&Dialer{ReadTimeout: 50 * time.Millisecond}).Dial(ctx, addr, "net.tcp://h/svc", EncodingBinarySession)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.ReadMessage(ctx); !errors.Is(err, ErrIdleTimeout) {
		t.Fatalf("ReadMessage: %v, want ErrIdleTimeout", err)
	}
	_ = s.Close(ctx)
}

// scriptedServer answers one connection's preamble with fixed bytes (a
// server that breaks the protocol) and then closes.
func scriptedServer(t *testing.T, script []byte) net.Conn {
	t.Helper()
	cc, sc := net.Pipe()
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer sc.Close()
		pre := AppendPreamble(nil, "net.tcp://h/svc", EncodingBinarySession)
		if _, err := io.ReadFull(sc, make([]byte, len(pre))); err != nil {
			return
		}
		// Drain what the client writes (End) while the script is sent.
		go func() { _, _ = io.Copy(io.Discard, sc) }()
		_, _ = sc.Write(script)
	}()
	t.Cleanup(func() {
		cc.Close()
		<-done
	})
	return cc
}

func TestClientServerProtocolViolations(t *testing.T) {
	ack := []byte{recPreambleAck}
	tests := []struct {
		name      string
		script    []byte
		handshake error // nil: the handshake succeeds and ReadMessage fails with read
		read      error
	}{
		{"closed before the ack", nil, io.ErrUnexpectedEOF, nil},
		{"envelope instead of ack", sized([]byte("x")), ErrProtocol, nil},
		{"fault string too long", append([]byte{recFault, 0x81, 0x02}, make([]byte, 257)...), ErrProtocol, nil},
		{"fault string not UTF-8", []byte{recFault, 0x01, 0xff}, ErrProtocol, nil},
		{"fault string truncated", []byte{recFault, 0x05, 'a'}, io.ErrUnexpectedEOF, nil},
		{"second ack", append(ack, recPreambleAck), nil, ErrProtocol},
		{"upgrade response mid-session", append(ack, recUpgradeResponse), nil, ErrProtocol},
		{"unsized envelope", append(ack, recUnsizedEnvelope, 1, 'x', 0), nil, ErrProtocol},
		{"size above 31 bits", append(ack, recSizedEnvelope, 0xff, 0xff, 0xff, 0xff, 0x7f), nil, ErrMessageTooLarge},
		{"size above the limit", append(ack, recSizedEnvelope, 0x80, 0x80, 0x08), nil, ErrMessageTooLarge},
		{"truncated envelope", append(ack, recSizedEnvelope, 10, 'a'), nil, io.ErrUnexpectedEOF},
		{"closed without End", ack, nil, io.ErrUnexpectedEOF},
		{"fault mid-session", append(ack, faultBytes(FaultServerTooBusy)...), nil, ErrRemoteFault},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			nc := scriptedServer(t, tt.script)
			s, err := (&Dialer{}).Handshake(ctx, nc, "net.tcp://h/svc", EncodingBinarySession)
			if tt.handshake != nil {
				if !errors.Is(err, tt.handshake) {
					t.Fatalf("Handshake: %v, want %v", err, tt.handshake)
				}
				return
			}
			if err != nil {
				t.Fatalf("Handshake: %v", err)
			}
			if _, err := s.ReadMessage(ctx); !errors.Is(err, tt.read) {
				t.Fatalf("ReadMessage: %v, want %v", err, tt.read)
			}
			_ = s.Close(ctx)
		})
	}
}

// A server that accepts and never answers: the context ends the handshake.
func TestClientDialContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	_, err = Dial(ctx, ln.Addr().String(), "net.tcp://h/svc", EncodingBinarySession)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Dial: %v, want context.DeadlineExceeded", err)
	}
	(<-accepted).Close()

	_, err = (&Dialer{HandshakeTimeout: 50 * time.Millisecond}).Dial(context.Background(), "127.0.0.1:1", "net.tcp://h/svc", EncodingBinarySession)
	if err == nil {
		t.Fatal("dial to a closed port succeeded")
	}
}

// FuzzClientRecords feeds arbitrary server bytes (in pieces) to a client
// session: the handshake and the reads must end with a result or an error,
// never hang or panic, and never return more than MaxMessageSize.
func FuzzClientRecords(f *testing.F) {
	f.Add([]byte{recPreambleAck, recEnd})
	f.Add(append(append([]byte{recPreambleAck}, sized([]byte("hello"))...), recEnd))
	f.Add(faultBytes(FaultEndpointNotFound))
	f.Add(append([]byte{recPreambleAck}, faultBytes(FaultMaxMessageSizeExceeded)...))
	f.Add([]byte{recPreambleAck, recSizedEnvelope, 0xff, 0xff, 0xff, 0xff, 0x0f})
	f.Add([]byte{recPreambleAck, recSizedEnvelope, 0x80})
	f.Fuzz(func(t *testing.T, data []byte) {
		const limit = 512
		cc, sc := net.Pipe()
		drained := make(chan struct{})
		go func() {
			defer close(drained)
			_, _ = io.Copy(io.Discard, sc)
		}()
		defer func() {
			sc.Close()
			<-drained
		}()
		d := &Dialer{MaxMessageSize: limit, HandshakeTimeout: time.Second, ReadTimeout: time.Second,
			WriteTimeout: time.Second, CloseTimeout: 100 * time.Millisecond}
		ctx := context.Background()
		s, err := d.Handshake(ctx, &inputConn{Conn: cc, in: data}, "net.tcp://h/svc", EncodingBinarySession)
		if err != nil {
			cc.Close()
			return
		}
		if data[0] != recPreambleAck {
			t.Fatalf("handshake accepted % x", data)
		}
		var last error
		for range len(data) + 1 {
			p, err := s.ReadMessage(ctx)
			if err != nil {
				last = err
				break
			}
			if len(p) > limit {
				t.Fatalf("payload of %d bytes above the limit", len(p))
			}
		}
		if last == nil {
			t.Fatalf("more messages than input bytes: % x", data)
		}
		if _, again := s.ReadMessage(ctx); again != last {
			t.Fatalf("error not sticky: %v then %v", last, again)
		}
		_ = s.Close(ctx)
	})
}
