package sessions

import (
	"bytes"
	"context"
	"os"
	"testing"
	"time"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/soap"
)

// FuzzSession feeds arbitrary messages into a provisioning session. The
// first byte picks the encoding; the rest is split into messages at "\xff\xfe".
// Whatever arrives, the session must answer or close — never panic or hang —
// and every message it writes must decode. The callbacks must be true to
// the state machine: at most one Notify…Start and one Notify…Complete,
// Start before Complete, nothing after Complete (the fake connection
// refuses writes after End), and the Complete says what the store says.
func FuzzSession(f *testing.F) {
	for _, name := range []string{"A_c2s_01.bin", "A_c2s_02.bin"} {
		if p, err := os.ReadFile("../soap/nbfx/testdata/golden/" + name); err == nil {
			f.Add(append([]byte{0}, p...))
		}
	}
	if a, err := os.ReadFile("../soap/nbfx/testdata/golden/A_c2s_01.bin"); err == nil {
		if b, err := os.ReadFile("../soap/nbfx/testdata/golden/A_c2s_02.bin"); err == nil {
			f.Add(append(append(append([]byte{0}, a...), 0xff, 0xfe), b...))
		}
	}
	f.Add([]byte("\x02<s:Envelope xmlns:s='http://www.w3.org/2003/05/soap-envelope' xmlns:a='http://www.w3.org/2005/08/addressing'><s:Header><a:Action>Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive</a:Action></s:Header><s:Body/></s:Envelope>"))
	f.Fuzz(func(t *testing.T, in []byte) {
		if len(in) == 0 {
			return
		}
		enc := []soap.Encoding{soap.EncodingBinarySession, soap.EncodingBinary, soap.EncodingText}[int(in[0])%3]
		msgs := bytes.Split(in[1:], []byte{0xff, 0xfe})
		if len(msgs) > 256 {
			return
		}
		conn := newMemTransport(enc, soap.Limits{}, nil)
		conn.out = make(chan []byte, 4*len(msgs)+8) // never blocks the session while the test feeds it
		adm := services.NewMemory(false, false)
		b := provisionBinding(adm, time.Millisecond, "")
		s := newSession(context.Background(), b, conn, Options{})
		done := make(chan error, 1)
		go func() { done <- s.Serve() }()
		for _, msg := range msgs {
			select {
			case conn.in <- msg:
			case <-done:
				done <- nil
			}
		}
		close(conn.in)
		reader := soap.NewCodec(enc, soap.Limits{})
		deadline := time.After(5 * time.Second)
		var starts, completes int
		var last received
		for {
			select {
			case p, ok := <-conn.out:
				if !ok {
					conn.out = nil
					continue
				}
				env, err := reader.Decode(p)
				if err != nil {
					t.Fatalf("server wrote an undecodable message: %v", err)
				}
				if completes > 0 {
					t.Fatalf("%s after Notify…Complete", env.Header.Action)
				}
				switch env.Header.Action {
				case b.Callbacks.Start:
					starts++
				case b.Callbacks.Complete:
					completes++
					last = decodeReceived(t, reader, p)
				}
				if starts > 1 {
					t.Fatal("a second Notify…Start")
				}
				continue
			case <-done:
			case <-deadline:
				t.Fatal("session did not end")
			}
			break
		}
		conn.Abort()
		if completes == 1 && last.exception == nil {
			// Complete(success) went out after the job's End settled the
			// flags: the store must say provisioned.
			if st, _ := adm.State(context.Background()); !st.Configured {
				t.Fatalf("Complete reported success, the store says %+v", st)
			}
		}
	})
}
