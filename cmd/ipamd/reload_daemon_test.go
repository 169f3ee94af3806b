package main

import (
	"bytes"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/negotiatetest"
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
	accounts := negotiatetest.AccountsFile(t, dir, "bob", "Bob-Pass-1234", "carol", "Carol-Pass-1234")
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
	nc, err := negotiatetest.Dial(t, addr, negotiatetest.NTLM("IPAM", user, password))
	if err != nil {
		t.Fatal(err)
	}
	return negotiatetest.Initialize(t, nc)
}
