package client

import (
	"context"
	"errors"
	"testing"
	"time"

	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// BenchmarkProvisionSession is one whole session per op from this client
// against the in-process server on loopback: connect, preamble, Initialize
// and its reply, Start, Notify…Start, Notify…Complete, End both ways. The
// server is provisioned already, so Complete carries
// IpamApiErrorIpamAlreadyProvisioned: the full protocol path without work
// (the session issue 7 counts). Client and server share the CPU.
func BenchmarkProvisionSession(b *testing.B) {
	for _, enc := range []soap.Encoding{soap.EncodingBinarySession, soap.EncodingText} {
		b.Run(enc.String(), func(b *testing.B) {
			srv := startServer(b, serverConfig{configured: true})
			c := &Client{Encoding: enc}
			ctx := context.Background()
			b.ReportAllocs()
			for b.Loop() {
				if err := benchSession(ctx, c, srv.provisionURI); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkProvisionSessionParallel runs the same sessions from 16
// concurrent clients per CPU (GOMAXPROCS).
func BenchmarkProvisionSessionParallel(b *testing.B) {
	srv := startServer(b, serverConfig{configured: true})
	c := &Client{}
	ctx := context.Background()
	b.ReportAllocs()
	b.SetParallelism(16)
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if err := benchSession(ctx, c, srv.provisionURI); err != nil {
				b.Error(err)
				return
			}
		}
	})
}

func benchSession(ctx context.Context, c *Client, uri string) error {
	conn, err := c.Dial(ctx, uri)
	if err != nil {
		return err
	}
	_, err = c.Provision(ctx, conn, nil, nil)
	var re *RemoteError
	if !errors.As(err, &re) || re.ExceptionID() != ipam.IpamApiErrorIpamAlreadyProvisioned {
		return err
	}
	return nil
}

// TestServerWritesPerSession: the server sends a whole provisioning session
// in three writes — the Preamble Ack, the Initialize reply, and Notify…Start
// + Notify…Complete + End together (the session is corked while Start is
// handled) — as the canned-bytes ceiling does; it was five before the
// records were coalesced, and the syscalls were the largest cost. Work that
// runs on after Start still gets its callbacks as they happen: each
// checkpoint is its own write, seen by the client before Complete.
func TestServerWritesPerSession(t *testing.T) {
	ctx := context.Background()
	t.Run("refused at once", func(t *testing.T) {
		srv := startServer(t, serverConfig{configured: true})
		c := &Client{}
		for i := range 3 {
			before := srv.writes.Load()
			if err := benchSession(ctx, c, srv.provisionURI); err != nil {
				t.Fatal(err)
			}
			if n := srv.writes.Load() - before; n != 3 {
				t.Errorf("session %d: the server made %d writes, want 3", i, n)
			}
		}
	})
	t.Run("work with checkpoints", func(t *testing.T) {
		srv := startServer(t, serverConfig{work: memoryWork{duration: 300 * time.Millisecond}, checkpoint: 50 * time.Millisecond})
		c := &Client{}
		conn, err := c.Dial(ctx, srv.provisionURI)
		if err != nil {
			t.Fatal(err)
		}
		var log eventLog
		res, err := c.Provision(ctx, conn, nil, &log)
		if err != nil {
			t.Fatal(err)
		}
		if res.Checkpoints < 2 {
			t.Fatalf("%d checkpoints before Complete, want the ones a 300ms job sends every 50ms", res.Checkpoints)
		}
		log.mu.Lock()
		defer log.mu.Unlock()
		if ev := log.events; len(ev) < 4 || ev[1] != EventStarted || ev[2] != EventCheckpoint || ev[len(ev)-1] != EventCompleted {
			t.Errorf("events %v: want Initialized, Started, Checkpoint…, Completed", ev)
		}
	})
}
