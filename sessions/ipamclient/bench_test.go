package ipamclient

import (
	"context"
	"errors"
	"testing"

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
