// Package negotiatetest is the client side of ipamd's application/negotiate
// (NegotiateStream) listener for tests: the NTLM accounts file a daemon is
// started with, the MC-NMF upgrade and handshake, and one
// InitializeAsyncProvisioning on the sealed stream. cmd/ipamd's tests and
// the negotiate interop suite share it; production code does not import it.
package negotiatetest

import (
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Via is the provisioning endpoint the sessions name.
const Via = "net.tcp://localhost/ipam/IIpamAsyncProvision"

// Domain is the NTLM domain of the test accounts.
const Domain = "IPAM"

// AccountsFile writes an NTLM accounts file (ipamd ntlm-hash lines) into
// dir for IPAM\user with password, given as user, password, user, password…,
// and returns its path.
func AccountsFile(t testing.TB, dir string, userPasswords ...string) string {
	t.Helper()
	var b strings.Builder
	for i := 0; i+1 < len(userPasswords); i += 2 {
		b.WriteString(ntlm.AccountLine(Domain, userPasswords[i], userPasswords[i+1]) + "\n")
	}
	p := filepath.Join(dir, "ntlm-accounts")
	if err := os.WriteFile(p, []byte(b.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// NTLM is an SPNEGO initiator for domain\user with password.
func NTLM(domain, user, password string) nns.Initiator {
	return &negotiate.NTLMInitiator{SPNEGO: true,
		Client: &ntlm.Client{Domain: domain, User: user, NTHash: ntlm.NTHash(password)}}
}

// Dial connects to addr (closed when the test ends, 20 s deadline) and
// upgrades the connection with ini (Upgrade).
func Dial(t testing.TB, addr string, ini nns.Initiator) (net.Conn, error) {
	t.Helper()
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { c.Close() })
	_ = c.SetDeadline(time.Now().Add(20 * time.Second))
	return Upgrade(t, c, ini)
}

// Upgrade sends a preamble for Via (SOAP 1.2 text) asking for the
// application/negotiate upgrade on c, and runs ini's handshake; it returns
// the sealed stream or the handshake's error (an *nns.PeerError when the
// server refused). On a pooled connection it starts the next session.
func Upgrade(t testing.TB, c net.Conn, ini nns.Initiator) (net.Conn, error) {
	t.Helper()
	pre := nmf.AppendUpgradeRequest(nmf.AppendPreambleStart(nil, Via, nmf.EncodingSOAP12UTF8), nns.Kind)
	if _, err := c.Write(pre); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil || one[0] != byte(nmf.RecordUpgradeResponse) {
		t.Fatalf("upgrade response % x %v", one, err)
	}
	return nns.Initiate(context.Background(), c, ini)
}

// Initialize sends PreambleEnd and InitializeAsyncProvisioning (SOAP 1.2
// text) on an upgraded stream and returns the answer.
func Initialize(t testing.TB, nc net.Conn) *soap.Envelope {
	t.Helper()
	codec := soap.NewCodec(soap.EncodingText, soap.Limits{})
	msg, err := codec.Encode(nil, &soap.Header{Action: ipam.ActionInitializeAsyncProvisioning, To: Via,
		MessageID: "urn:uuid:6b1f1c3e-0000-4000-8000-000000000002", ReplyTo: soap.AddressAnonymous},
		&ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{FetchAllData: true, ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
			IpamProvisioningSetting:   &ipam.IpamProvisioningSetting{CreateNewSchema: true, ProvisioningMethod: ipam.ProvisioningMethodManual},
		}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := nc.Write(nmf.AppendSizedEnvelope([]byte{byte(nmf.RecordPreambleEnd)}, msg)); err != nil {
		t.Fatal(err)
	}
	// The server sends nothing after the answer until the client acts, so
	// nothing the caller reads next is buffered here.
	fr := nmf.NewFramer(nil, nc, nmf.Limits{})
	if rt, err := fr.ReadRecordType(); err != nil || rt != nmf.RecordPreambleAck {
		t.Fatalf("preamble ack %v %v", rt, err)
	}
	if rt, err := fr.ReadRecordType(); err != nil || rt != nmf.RecordSizedEnvelope {
		t.Fatalf("record %v %v", rt, err)
	}
	payload, err := fr.ReadEnvelope()
	if err != nil {
		t.Fatal(err)
	}
	env, err := codec.Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	return env
}
