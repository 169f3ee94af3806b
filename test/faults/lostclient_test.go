//go:build linux

package faults

import (
	"context"
	"testing"
	"time"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	daemon "github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// startedSession dials d's endpoint, initializes a session of port type
// pt and starts its work, then returns it without reading the callbacks.
func startedSession(t *testing.T, ctx context.Context, uri string, pt client.PortType, params ipam.AnyEnumerationParametersBase) *client.Session {
	t.Helper()
	c := &client.Client{KeepaliveInterval: time.Second, Dialer: nmf.Dialer{ReadTimeout: time.Minute, WriteTimeout: 10 * time.Second, HandshakeTimeout: 10 * time.Second}}
	conn, err := c.Dial(ctx, uri)
	if err != nil {
		t.Fatal(err)
	}
	s, err := c.NewSession(conn, pt)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Initialize(ctx, params); err != nil {
		t.Fatal(err)
	}
	if err := s.Start(ctx); err != nil {
		t.Fatal(err)
	}
	return s
}

// The client goes away (its connection dropped) in the middle of a
// provisioning on PostgreSQL: the session's end cancels the work, the
// transaction rolls back leaving no table, and the next client's
// provisioning succeeds at once.
func TestLostClientMidProvisioning(t *testing.T) {
	p, cfg, direct := pgBehindProxy(t)
	p.SetLatency(3 * time.Millisecond) // provisioning's round trips now take seconds
	d := runIpamd(t, t.TempDir(), "--store-allowed-hosts", p.Addr(), "--store-remember-password")
	ctx := ctxFor(t, 2*time.Minute)
	setting := &ipam.IpamProvisioningSetting{CreateNewSchema: true, ProvisioningMethod: ipam.ProvisioningMethodManual, DatabaseConfiguration: dbConfiguration(cfg)}
	s := startedSession(t, ctx, d.provision, client.Provisioning, client.ProvisioningParameters(setting))
	time.Sleep(700 * time.Millisecond)
	s.Abort()
	dropped := time.Now()
	if _, err := d.srv.Log.WaitFor(ctx, func(e daemon.Entry) bool { return e.Msg() == "provisioning failed" }); err != nil {
		t.Fatalf("the provisioning did not stop when its client went away: %v", err)
	}
	t.Logf("provisioning stopped %v after the client went away", time.Since(dropped).Round(time.Millisecond))
	if n := admTables(t, sqlDB(t, direct)); n != 0 {
		t.Errorf("%d ADM tables left by the abandoned provisioning", n)
	}
	p.SetLatency(0)
	if _, err := provisionVia(ctx, d, setting); err != nil {
		t.Fatalf("the next provisioning: %v", err)
	}
}

// The client goes away in the middle of a conversion batch: the work is
// cancelled, the lease released, and the next client's conversion — at
// once, not refused as another operation — resumes to the same rows as an
// uninterrupted conversion.
func TestLostClientMidConversion(t *testing.T) {
	const addresses = 3000
	p, cfg, db, _ := legacyPG(t, addresses)
	p.SetLatency(time.Millisecond)
	d := startIpamd(t, cfg)
	ctx := ctxFor(t, 3*time.Minute)
	s := startedSession(t, ctx, d.conversion, client.SchemaConversion, client.ConversionParameters())
	for progressOf(db, "4 backfill addresses") == 0 {
		if ctx.Err() != nil {
			t.Fatal("the conversion never reached step 4")
		}
		time.Sleep(20 * time.Millisecond)
	}
	at := conversionClock(t, db)
	s.Abort()
	if _, err := d.srv.Log.WaitFor(ctx, func(e daemon.Entry) bool { return e.Msg() == "schema conversion failed" }); err != nil {
		t.Fatalf("the conversion did not stop when its client went away: %v", err)
	}
	if req, _, _, err := convert.Required(ctx, db, schema.PostgreSQL); err != nil || !req {
		t.Fatalf("after the abandoned conversion Required = %v, %v", req, err)
	}
	p.SetLatency(0)
	// The job's end (lease released) follows its failure by a moment, never
	// by the lease: a retry within a third of it must be taken.
	for began := time.Now(); ; time.Sleep(50 * time.Millisecond) {
		_, err := convertVia(ctx, d)
		if err == nil {
			break
		}
		if remoteID(err) != ipam.IpamSchemaConversionAnotherOperationInProgress || time.Since(began) > daemonLease/3+time.Second {
			t.Fatalf("the next conversion: %v", err)
		}
	}
	sameRows(t, dumpPG(t, db), referenceAt(t, addresses, at), "ADM_DatabaseConfigurationTable")
}
