package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/duplex/security/negotiate"
	"github.com/ipamd/ipamd/duplex/security/nns"
	"github.com/ipamd/ipamd/duplex/security/ntlm"
	"github.com/ipamd/ipamd/soap"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// SIGHUP with a changed security.administrators, on the real daemon with a
// negotiate listener: the reload logs it as applied (not as needing a
// restart), and the next sessions are authorized by the new list — the
// removed administrator is refused, the added one accepted.
func TestSIGHUPReloadsAdministrators(t *testing.T) {
	skipWithoutSignals(t)
	dir := t.TempDir()
	accounts := filepath.Join(dir, "ntlm-accounts")
	lines := ntlm.AccountLine("IPAM", "bob", "Bob-Pass-1234") + "\n" + ntlm.AccountLine("IPAM", "carol", "Carol-Pass-1234") + "\n"
	if err := os.WriteFile(accounts, []byte(lines), 0o600); err != nil {
		t.Fatal(err)
	}
	file := filepath.Join(dir, "ipamd.yaml")
	write := func(admin string) {
		y := "security:\n  mode: negotiate\n  negotiate:\n    ntlm_accounts_file: " + accounts + "\n  administrators: ['IPAM\\" + admin + "']\n"
		if err := os.WriteFile(file, []byte(y), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	var addr string
	admitted := func(user, password string) bool {
		env := negotiateInitialize(t, addr, user, password)
		if !env.IsFault() {
			return env.Header.Action == ipam.ActionInitializeAsyncProvisioningResponse
		}
		_, detail, err := soap.ReadFault(env.Body())
		if err != nil || !bytes.Contains(detail, []byte(ipam.IpamApiAccessDenied)) {
			t.Fatalf("%s: fault detail %q %v, want IpamApiAccessDenied", user, detail, err)
		}
		return false
	}
	write("bob")
	d := startDaemon(t, "--config", file)
	addr = d.netTCP
	if !admitted("bob", "Bob-Pass-1234") || admitted("carol", "Carol-Pass-1234") {
		t.Fatal("before the reload: bob must be an administrator, carol not")
	}
	write("carol")
	d.Signal(syscall.SIGHUP)
	reloaded := d.WaitLog("configuration reloaded", 5*time.Second)
	if got := reloaded["applied"]; !sameStrings(got, "security.administrators") {
		t.Errorf("applied = %v", got)
	}
	if w := d.FindLog("configuration changes not reloaded: they need a restart"); w != nil {
		t.Errorf("logged as needing a restart: %v", w["keys"])
	}
	if admitted("bob", "Bob-Pass-1234") || !admitted("carol", "Carol-Pass-1234") {
		t.Error("after the reload: carol must be the administrator, bob not")
	}
}

func negotiateInitialize(t *testing.T, addr, user, password string) *soap.Envelope {
	t.Helper()
	const via = "net.tcp://localhost/ipam/IIpamAsyncProvision"
	c, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	_ = c.SetDeadline(time.Now().Add(10 * time.Second))
	pre := append([]byte{0x00, 0x01, 0x00, 0x01, 0x02, 0x02, byte(len(via))}, via...)
	pre = append(pre, 0x03, byte(nmf.EncodingSOAP12UTF8), 0x09, byte(len(nns.Kind)))
	if _, err := c.Write(append(pre, nns.Kind...)); err != nil {
		t.Fatal(err)
	}
	one := make([]byte, 1)
	if _, err := io.ReadFull(c, one); err != nil || one[0] != 0x0A {
		t.Fatalf("upgrade response % x %v", one, err)
	}
	nc, err := nns.Initiate(context.Background(), c, &negotiate.NTLMInitiator{SPNEGO: true,
		Client: &ntlm.Client{Domain: "IPAM", User: user, NTHash: ntlm.NTHash(password)}})
	if err != nil {
		t.Fatal(err)
	}
	codec := soap.NewCodec(soap.EncodingText, soap.Limits{})
	msg, err := codec.Encode(nil, &soap.Header{Action: ipam.ActionInitializeAsyncProvisioning, To: via,
		MessageID: "urn:uuid:6b1f1c3e-0000-4000-8000-000000000001", ReplyTo: soap.AddressAnonymous},
		&ipam.InitializeAsyncProvisioning{Parameters: &ipam.IpamProvisioningEnumerationParameters{
			EnumerationParametersBase: ipam.EnumerationParametersBase{FetchAllData: true, ObjectType: ipam.EnumerationObjectTypeAsyncProvision},
			IpamProvisioningSetting:   &ipam.IpamProvisioningSetting{CreateNewSchema: true, ProvisioningMethod: ipam.ProvisioningMethodManual},
		}})
	if err != nil {
		t.Fatal(err)
	}
	rec := []byte{0x0C, 0x06}
	for n := len(msg); ; n >>= 7 { // MB31 size
		if n < 0x80 {
			rec = append(rec, byte(n))
			break
		}
		rec = append(rec, byte(n)|0x80)
	}
	if _, err := nc.Write(append(rec, msg...)); err != nil {
		t.Fatal(err)
	}
	br := bufio.NewReader(nc)
	if b, err := br.ReadByte(); err != nil || b != 0x0B {
		t.Fatalf("preamble ack %x %v", b, err)
	}
	if b, err := br.ReadByte(); err != nil || b != 0x06 {
		t.Fatalf("record %x %v", b, err)
	}
	size, shift := 0, 0
	for {
		b, err := br.ReadByte()
		if err != nil {
			t.Fatal(err)
		}
		size |= int(b&0x7F) << shift
		if b < 0x80 {
			break
		}
		shift += 7
	}
	payload := make([]byte, size)
	if _, err := io.ReadFull(br, payload); err != nil {
		t.Fatal(err)
	}
	env, err := soap.NewCodec(soap.EncodingText, soap.Limits{}).Decode(payload)
	if err != nil {
		t.Fatal(err)
	}
	return env
}
