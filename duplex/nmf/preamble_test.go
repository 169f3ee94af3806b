package nmf

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// monoPreamble is the first 54 bytes of session A's client stream: the whole
// preamble, which Mono writes in one segment.
func monoPreamble(t testing.TB) []byte {
	return loadHex(t, "session-a-c2s.hex")[:54]
}

// Rule T3. (docs/protocol.md)
func TestMB31(t *testing.T) {
	for _, tc := range []struct {
		v   int
		enc string
	}{
		{0, "00"}, {0x7F, "7f"}, {0x80, "8001"}, {176, "b001"}, {317, "bd02"}, {179, "b301"},
		{571, "bb04"}, {0x3FFF, "ff7f"}, {0x4000, "808001"}, {maxMB31, "ffffffff07"},
	} {
		if got := AppendMB31(nil, tc.v); !bytes.Equal(got, mustHex(tc.enc)) {
			t.Errorf("AppendMB31(%d) = % x, want %s", tc.v, got, tc.enc)
		}
		if got, err := ReadMB31(newTestReader(mustHex(tc.enc))); err != nil || got != tc.v {
			t.Errorf("ReadMB31(%s) = %d, %v; want %d", tc.enc, got, err, tc.v)
		}
	}
	for _, bad := range []string{"ffffffff08", "ffffffff7f", "8080808010"} {
		if _, err := ReadMB31(newTestReader(mustHex(bad))); !errors.Is(err, ErrSizeTooLarge) {
			t.Errorf("ReadMB31(%s) err = %v, want ErrSizeTooLarge", bad, err)
		}
	}
	// .NET accepts non-minimal encodings.
	if got, err := ReadMB31(newTestReader(mustHex("8000"))); err != nil || got != 0 {
		t.Errorf("ReadMB31(80 00) = %d, %v", got, err)
	}
}

// Rule T5. (docs/protocol.md)
func TestEncodingForContentType(t *testing.T) {
	for ct, want := range map[string]Encoding{
		"application/soap+msbinsession1":       EncodingBinarySession,
		"application/soap+msbin1":              EncodingBinary,
		"application/soap+xml; charset=utf-8":  EncodingSOAP12UTF8,
		"application/soap+xml;charset=UTF-8":   EncodingSOAP12UTF8,
		"Application/SOAP+msbinsession1":       EncodingBinarySession,
		"text/xml; charset=utf-8":              EncodingSOAP11UTF8,
		"application/soap+msbinsession1+gzip":  EncodingBinarySessionGZip,
		"application/json":                     EncodingUnknown,
		"application/soap+xml; charset=latin1": EncodingUnknown,
	} {
		if got := encodingForContentType(ct); got != want {
			t.Errorf("encodingForContentType(%q) = %v, want %v", ct, got, want)
		}
	}
}

// TestPreambleAccepted feeds valid preambles with different segmentations and
// checks the decoded fields, the ack, and End→End.
//
// Rule T1. (docs/protocol.md)
func TestPreambleAccepted(t *testing.T) {
	winVia := "net.tcp://192.168.56.1:8523/Service1"
	winPath := "/Service1"
	winPre := preamble(winVia, EncodingBinarySession, "")
	if winPre[6] != 0x24 {
		t.Fatalf("Windows via length byte = %#x, want 0x24 as in the ERNW trace", winPre[6])
	}
	split := func(b []byte, sizes ...int) [][]byte {
		var out [][]byte
		for _, n := range sizes {
			out = append(out, b[:n])
			b = b[n:]
		}
		return append(out, b)
	}
	bytewise := func(b []byte) [][]byte {
		var out [][]byte
		for i := range b {
			out = append(out, b[i:i+1])
		}
		return out
	}
	ct := "application/soap+msbinsession1"
	extPre := preamble("net.tcp://h/svc", 0, ct)
	for _, tc := range []struct {
		name   string
		writes [][]byte
		want   Preamble
	}{
		{"mono one write", [][]byte{monoPreamble(t)}, Preamble{Major: 1, Mode: ModeDuplex,
			Via: "net.tcp://127.0.0.2:18081/IpamAsyncProvision", ViaPath: "/IpamAsyncProvision", Encoding: EncodingBinarySession}},
		{"windows five writes", split(winPre, 3, 2, 2+len(winVia), 2), Preamble{Major: 1, Mode: ModeDuplex,
			Via: winVia, ViaPath: winPath, Encoding: EncodingBinarySession}},
		{"byte by byte", bytewise(monoPreamble(t)), Preamble{Major: 1, Mode: ModeDuplex,
			Via: "net.tcp://127.0.0.2:18081/IpamAsyncProvision", ViaPath: "/IpamAsyncProvision", Encoding: EncodingBinarySession}},
		{"extensible encoding", [][]byte{extPre}, Preamble{Major: 1, Mode: ModeDuplex,
			Via: "net.tcp://h/svc", ViaPath: "/svc", Encoding: EncodingBinarySession, ContentType: ct}},
		{"minor version 3", [][]byte{append([]byte{0, 1, 3}, monoPreamble(t)[3:]...)}, Preamble{Major: 1, Minor: 3,
			Mode: ModeDuplex, Via: "net.tcp://127.0.0.2:18081/IpamAsyncProvision", ViaPath: "/IpamAsyncProvision", Encoding: EncodingBinarySession}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			router := &testRouter{h: newRecorder(false)}
			_, addr := startServer(t, Options{}, router)
			c := dial(t, addr)
			for _, w := range tc.writes {
				if _, err := c.Write(w); err != nil {
					t.Fatal(err)
				}
				time.Sleep(2 * time.Millisecond) // separate segments
			}
			if got := readN(t, c, 1, 5*time.Second); got[0] != recPreambleAck {
				t.Fatalf("got % x, want PreambleAck", got)
			}
			if _, err := c.Write([]byte{recEnd}); err != nil {
				t.Fatal(err)
			}
			if got := readN(t, c, 1, 5*time.Second); got[0] != recEnd {
				t.Fatalf("got % x, want End", got)
			}
			_ = c.CloseWrite()
			if rest, closed := readAll(t, c, 5*time.Second); !closed || len(rest) != 0 {
				t.Fatalf("after End: % x closed=%v", rest, closed)
			}
			ps := router.preambles()
			if len(ps) != 1 {
				t.Fatalf("routed %d preambles", len(ps))
			}
			if got := *ps[0]; got.Major != tc.want.Major || got.Minor != tc.want.Minor || got.Mode != tc.want.Mode ||
				got.Via != tc.want.Via || got.Encoding != tc.want.Encoding || got.ContentType != tc.want.ContentType ||
				len(got.Upgrades) != 0 {
				t.Errorf("preamble = %+v, want %+v", got, tc.want)
			}
		})
	}
}

// TestFaults checks the exact Fault record (+ End) for each refused input
// and that the server then closes the connection.
//
// Rule T2. (docs/protocol.md)
func TestFaults(t *testing.T) {
	okVia := "net.tcp://h:808/svc"
	pre := preamble(okVia, EncodingBinarySession, "")
	viaRec := func(via string) []byte {
		return append(AppendMB31([]byte{0x02}, len(via)), via...)
	}
	head := []byte{0x00, 0x01, 0x00, 0x01, 0x02}
	cat := func(parts ...[]byte) []byte { return bytes.Join(parts, nil) }
	ack := []byte{recPreambleAck}
	for _, tc := range []struct {
		name    string
		opts    Options
		in      []byte
		wantPre []byte // bytes before the fault (PreambleAck for mid-session faults)
		uri     string
	}{
		{"bad major version", Options{}, cat([]byte{0x00, 0x02, 0x00}, pre[3:]), nil, FaultUnsupportedVersion},
		{"http request", Options{}, []byte("GET / HTTP/1.1\r\nHost: x\r\n\r\n"), nil, FaultUnsupportedVersion},
		{"mode singleton", Options{}, cat([]byte{0, 1, 0, 1, 1}, pre[5:]), nil, FaultUnsupportedMode},
		{"mode simplex", Options{}, cat([]byte{0, 1, 0, 1, 3}, pre[5:]), nil, FaultUnsupportedMode},
		{"mode invalid", Options{}, cat([]byte{0, 1, 0, 1, 0x7F}, pre[5:]), nil, FaultUnsupportedMode},
		{"mode record missing", Options{}, cat([]byte{0, 1, 0}, pre[5:]), nil, FaultUnsupportedMode},
		{"via too long", Options{}, cat(head, viaRec("net.tcp://h/"+strings.Repeat("a", 2037)), []byte{3, 8, 0xC}), nil, FaultViaTooLong},
		{"via above custom max", Options{MaxViaLength: 16}, pre, nil, FaultViaTooLong},
		{"via size 5th byte invalid", Options{}, cat(head, mustHex("02 ff ff ff ff 7f")), nil, FaultViaTooLong},
		{"via empty", Options{}, cat(head, []byte{0x02, 0x00, 0x03, 0x08, 0x0C}), nil, FaultEndpointNotFound},
		{"via not absolute", Options{}, cat(head, viaRec("svc"), []byte{3, 8, 0xC}), nil, FaultEndpointNotFound},
		{"via not utf8", Options{}, cat(head, viaRec("net.tcp://h/\xff"), []byte{3, 8, 0xC}), nil, FaultEndpointNotFound},
		{"via record missing", Options{}, cat(head, []byte{0x03, 0x08, 0x0C}), nil, FaultEndpointNotFound},
		{"content type too long", Options{}, cat(head, viaRec(okVia), []byte{0x04}, AppendMB31(nil, 257), bytes.Repeat([]byte("a"), 257), []byte{0xC}), nil, FaultContentTypeTooLong},
		{"content type empty", Options{}, cat(head, viaRec(okVia), []byte{0x04, 0x00, 0x0C}), nil, FaultContentTypeInvalid},
		{"known encoding undefined", Options{}, cat(head, viaRec(okVia), []byte{0x03, 0x0D, 0x0C}), nil, FaultContentTypeInvalid},
		{"encoding record missing", Options{}, cat(head, viaRec(okVia), []byte{0x0C}), nil, FaultContentTypeInvalid},
		{"unknown record in preamble", Options{}, cat(head, viaRec(okVia), []byte{0x03, 0x08, 0x0A}), nil, FaultUpgradeInvalid},
		{"envelope before preamble end", Options{}, cat(head, viaRec(okVia), []byte{0x03, 0x08}, sized([]byte("x"))), nil, FaultUpgradeInvalid},
		{"upgrade negotiate", Options{}, preamble(okVia, EncodingBinarySession, "", "application/negotiate"), nil, FaultUpgradeInvalid},
		{"upgrade ssl-tls", Options{}, preamble(okVia, EncodingBinarySession, "", "application/ssl-tls"), nil, FaultUpgradeInvalid},
		{"router endpoint not found", Options{}, preamble("net.tcp://h:808/nothing", EncodingBinarySession, ""), nil, FaultEndpointNotFound},
		{"router content type invalid", Options{}, preamble(okVia, EncodingBinary, ""), nil, FaultContentTypeInvalid},
		{"router extensible unknown", Options{}, preamble(okVia, 0, "application/json"), nil, FaultContentTypeInvalid},
		{"message too large", Options{MaxMessageSize: 100}, cat(pre, sized(make([]byte, 101))), ack, FaultMaxMessageSizeExceeded},
		{"message size 5th byte invalid", Options{}, cat(pre, mustHex("06 ff ff ff ff 7f")), ack, FaultMaxMessageSizeExceeded},
		{"unsized envelope mid-session", Options{}, cat(pre, []byte{0x05, 0x01, 'x', 0x00, 0x07}), ack, FaultUnsupportedMode},
		{"preamble end mid-session", Options{}, cat(pre, []byte{0x0C}), ack, FaultUnsupportedMode},
		{"version mid-session", Options{}, cat(pre, sized([]byte("ok")), pre), ack, FaultUnsupportedMode},
		{"unknown record mid-session", Options{}, cat(pre, []byte{0xFF}), ack, FaultUnsupportedMode},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rec := newRecorder(false)
			srv, addr := startServer(t, tc.opts, &testRouter{h: rec})
			c := dial(t, addr)
			if _, err := c.Write(tc.in); err != nil {
				t.Fatal(err)
			}
			_ = c.CloseWrite()
			got, closed := readAll(t, c, 5*time.Second)
			want := append(append([]byte(nil), tc.wantPre...), faultBytes(tc.uri)...)
			if !bytes.Equal(got, want) || !closed {
				t.Fatalf("server sent\n% x (closed=%v)\nwant\n% x", got, closed, want)
			}
			if tc.wantPre != nil {
				rec.wait(t)
				_, errs := rec.got()
				var fe *FaultError
				if len(errs) != 1 || !errors.As(errs[0], &fe) || fe.URI != tc.uri {
					t.Errorf("handler errors = %v, want one *FaultError %s", errs, tc.uri)
				}
			}
			waitIdle(t, srv)
		})
	}
}

// TestFaultWithoutClientClose: after a fault the server drains for at most
// CloseTimeout and then closes even if the client keeps the socket open.
func TestFaultWithoutClientClose(t *testing.T) {
	_, addr := startServer(t, Options{CloseTimeout: 200 * time.Millisecond}, &testRouter{h: newRecorder(false)})
	c := dial(t, addr)
	if _, err := c.Write([]byte{0x00, 0x09, 0x00}); err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	got, closed := readAll(t, c, 3*time.Second)
	if !bytes.Equal(got, faultBytes(FaultUnsupportedVersion)) || !closed {
		t.Fatalf("got % x closed=%v", got, closed)
	}
	if d := time.Since(start); d > 2*time.Second {
		t.Errorf("closed after %v, want about CloseTimeout", d)
	}
}

func TestMaxConnections(t *testing.T) {
	release := make(chan struct{})
	h := handlerFunc(func(ctx context.Context, s *Session) error {
		select {
		case <-release:
		case <-ctx.Done():
		}
		return nil
	})
	srv, addr := startServer(t, Options{MaxConnections: 1}, &testRouter{h: h})
	defer close(release)
	c1 := dial(t, addr)
	if _, err := c1.Write(preamble("net.tcp://h/svc", EncodingBinarySession, "")); err != nil {
		t.Fatal(err)
	}
	if got := readN(t, c1, 1, 5*time.Second); got[0] != recPreambleAck {
		t.Fatalf("first connection got % x", got)
	}
	c2 := dial(t, addr)
	if _, err := c2.Write(preamble("net.tcp://h/svc", EncodingBinarySession, "")); err != nil {
		t.Fatal(err)
	}
	_ = c2.CloseWrite()
	got, closed := readAll(t, c2, 5*time.Second)
	if !bytes.Equal(got, faultBytes(FaultServerTooBusy)) || !closed {
		t.Fatalf("second connection got % x closed=%v", got, closed)
	}
	if n := srv.ActiveConnections(); n != 1 {
		t.Errorf("ActiveConnections = %d, want 1", n)
	}
}

// waitIdle waits until the server has no active connection.
func waitIdle(t testing.TB, srv *Server) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for srv.ActiveConnections() != 0 {
		if time.Now().After(deadline) {
			t.Fatalf("ActiveConnections = %d after 5s", srv.ActiveConnections())
		}
		time.Sleep(5 * time.Millisecond)
	}
}
