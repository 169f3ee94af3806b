package nmf

import (
	"bytes"
	"context"
	"io"
	"net"
	"testing"

	"go.uber.org/zap"
)

// BenchmarkReadWriteMessage: one 571-byte envelope (session A's first
// request) client→server→client over loopback TCP; the handler echoes.
func BenchmarkReadWriteMessage(b *testing.B) {
	raw := loadHex(b, "session-a-c2s.hex")
	record := raw[54 : 54+574]
	echo := handlerFunc(func(ctx context.Context, s *Session) error {
		for {
			p, err := s.ReadMessage(ctx)
			if err != nil {
				return nil
			}
			if err := s.WriteMessage(ctx, p); err != nil {
				return err
			}
		}
	})
	_, addr := startServer(b, Options{Logger: zap.NewNop()}, &testRouter{h: echo})
	c := dial(b, addr)
	if _, err := c.Write(raw[:54]); err != nil {
		b.Fatal(err)
	}
	buf := make([]byte, len(record))
	if _, err := io.ReadFull(c, buf[:1]); err != nil || buf[0] != recPreambleAck {
		b.Fatalf("ack: % x %v", buf[:1], err)
	}
	b.SetBytes(int64(len(record)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(record); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	if !bytes.Equal(buf, record) {
		b.Fatal("echo differs")
	}
	if _, err := c.Write([]byte{recEnd}); err != nil {
		b.Fatal(err)
	}
	if _, err := io.ReadFull(c, buf[:1]); err != nil || buf[0] != recEnd {
		b.Fatalf("end: % x %v", buf[:1], err)
	}
}

// BenchmarkRawEcho is the ceiling: the same 574 bytes echoed by a plain TCP
// loop on loopback, no framing.
func BenchmarkRawEcho(b *testing.B) {
	record := loadHex(b, "session-a-c2s.hex")[54 : 54+574]
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		b.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		s, err := ln.Accept()
		if err != nil {
			return
		}
		defer s.Close()
		buf := make([]byte, len(record))
		for {
			if _, err := io.ReadFull(s, buf); err != nil {
				return
			}
			if _, err := s.Write(buf); err != nil {
				return
			}
		}
	}()
	c := dial(b, ln.Addr().String())
	buf := make([]byte, len(record))
	b.SetBytes(int64(len(record)))
	b.ReportAllocs()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		if _, err := c.Write(record); err != nil {
			b.Fatal(err)
		}
		if _, err := io.ReadFull(c, buf); err != nil {
			b.Fatal(err)
		}
	}
	b.StopTimer()
	c.Close()
	ln.Close()
	<-done
}

// BenchmarkFramerDecode: Mono's whole client stream of session A (preamble,
// envelopes, End) decoded from memory by one reused Framer: the framing
// cost of a session without the sockets' noise.
func BenchmarkFramerDecode(b *testing.B) {
	raw := loadHex(b, "session-a-c2s.hex")
	r := bytes.NewReader(raw)
	fr := NewFramerSize(nil, r, readBufferSize, Limits{})
	b.SetBytes(int64(len(raw)))
	b.ReportAllocs()
	for b.Loop() {
		r.Reset(raw)
		fr.Reset(nil, r)
		if _, err := fr.ReadPreamble(nil); err != nil {
			b.Fatal(err)
		}
		for {
			t, err := fr.ReadRecordType()
			if err != nil {
				b.Fatal(err)
			}
			if t == RecordEnd {
				break
			}
			if _, err := fr.ReadEnvelope(); err != nil {
				b.Fatal(err)
			}
		}
	}
}
