package negotiate_test

import (
	"bytes"
	"context"
	"fmt"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/jcmturner/gokrb5/v8/keytab"
)

// realm is a throwaway MIT Kerberos realm IPAM.TEST on 127.0.0.1 (the
// recipe is in docs/security.md): a KDC, the service principal
// host/localhost with its keytab, and alice with a ticket cache. With a
// cross-realm trust, the same krb5kdc also serves OTHER.TEST, which shares
// krbtgt/IPAM.TEST@OTHER.TEST with IPAM.TEST (so OTHER.TEST principals get
// tickets for host/localhost@IPAM.TEST), and both realms have an admin.
type realm struct {
	dir, krb5conf, keytab, ccache string
	env                           []string
}

const (
	realmName   = "IPAM.TEST"
	otherRealm  = "OTHER.TEST"
	alicePass   = "Alice-Pass-1234"
	servicePass = "Service-Pass-1234"
	adminPass   = "Admin-Pass-1234"
	otherPass   = "Other-Admin-Pass-1234"
	crossPass   = "Cross-Realm-Pass-1234"
)

func requireKDC(t *testing.T) {
	t.Helper()
	for _, tool := range []string{"kdb5_util", "kadmin.local", "krb5kdc", "kinit"} {
		if _, err := exec.LookPath(tool); err != nil {
			if _, err := os.Stat("/usr/sbin/" + tool); err == nil {
				continue
			}
			if os.Getenv("IPAMD_REQUIRE_INTEROP") == "1" {
				t.Fatalf("IPAMD_REQUIRE_INTEROP=1 but %s is missing", tool)
			}
			t.Skipf("%s missing (apt-get install --no-install-recommends krb5-kdc krb5-admin-server krb5-user)", tool)
		}
	}
}

func tool(name string) string {
	if p, err := exec.LookPath(name); err == nil {
		return p
	}
	return "/usr/sbin/" + name
}

// freePort returns a loopback TCP port that was free a moment ago.
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

func startRealm(t *testing.T) *realm {
	t.Helper()
	return startKDC(t, false)
}

// startKDC starts IPAM.TEST, and OTHER.TEST with a cross-realm trust
// when cross is set.
func startKDC(t *testing.T, cross bool) *realm {
	t.Helper()
	requireKDC(t)
	dir := t.TempDir()
	r := &realm{dir: dir, krb5conf: filepath.Join(dir, "krb5.conf"), keytab: filepath.Join(dir, "service.keytab"),
		ccache: "FILE:" + filepath.Join(dir, "ccache")}
	port := freePort(t)
	for _, sub := range []string{"db", "rcache"} {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o700); err != nil {
			t.Fatal(err)
		}
	}
	realms := []string{realmName}
	if cross {
		realms = append(realms, otherRealm)
	}
	var kdcRealms, clientRealms string
	for _, name := range realms {
		kdcRealms += fmt.Sprintf(`    %[1]s = {
        database_name = %[2]s/db/%[1]s
        key_stash_file = %[2]s/db/%[1]s.stash
        acl_file = %[2]s/kadm5.acl
        max_life = 10h 0m 0s
        master_key_type = aes256-cts-hmac-sha1-96
        supported_enctypes = aes256-cts-hmac-sha1-96:normal aes128-cts-hmac-sha1-96:normal
    }
`, name, dir)
		clientRealms += fmt.Sprintf("    %s = {\n        kdc = 127.0.0.1:%d\n    }\n", name, port)
	}
	files := map[string]string{
		"kdc.conf": fmt.Sprintf(`[kdcdefaults]
    kdc_listen = 127.0.0.1:%[1]d
    kdc_tcp_listen = 127.0.0.1:%[1]d
[realms]
%[2]s[logging]
    kdc = FILE:%[3]s/kdc.log
    default = FILE:%[3]s/krb5lib.log
`, port, kdcRealms, dir),
		// capaths: OTHER.TEST reaches IPAM.TEST directly (not through a
		// parent realm TEST).
		"krb5.conf": fmt.Sprintf(`[libdefaults]
    default_realm = %[1]s
    dns_lookup_kdc = false
    dns_lookup_realm = false
    dns_canonicalize_hostname = false
    rdns = false
    udp_preference_limit = 1
[realms]
%[2]s[domain_realm]
    localhost = %[1]s
[capaths]
    %[3]s = {
        %[1]s = .
    }
`, realmName, clientRealms, otherRealm),
		"kadm5.acl": "*/admin@" + realmName + " *\n",
	}
	for name, content := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(content), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	env := append(cleanEnv(), "KRB5_CONFIG="+r.krb5conf, "KRB5_KDC_PROFILE="+filepath.Join(dir, "kdc.conf"),
		"KRB5RCACHEDIR="+filepath.Join(dir, "rcache"))
	r.env = env
	run := func(stdin string, name string, args ...string) {
		t.Helper()
		r.run(t, r.ccache, stdin, name, args...)
	}
	kdcArgs := []string{"-n"}
	for _, name := range realms {
		run("", "kdb5_util", "create", "-s", "-r", name, "-P", "Master-Pass-1234")
		kdcArgs = append(kdcArgs, "-r", name)
	}
	run("", "kadmin.local", "-r", realmName, "-q", "addprinc -pw "+alicePass+" alice")
	run("", "kadmin.local", "-r", realmName, "-q", "addprinc -pw "+alicePass+"-carol carol")
	run("", "kadmin.local", "-r", realmName, "-q", "addprinc -pw "+servicePass+" host/localhost")
	run("", "kadmin.local", "-r", realmName, "-q", "ktadd -norandkey -k "+r.keytab+" host/localhost")
	if cross {
		run("", "kadmin.local", "-r", realmName, "-q", "addprinc -pw "+adminPass+" admin")
		run("", "kadmin.local", "-r", otherRealm, "-q", "addprinc -pw "+otherPass+" admin")
		// The trust: the same password, salt and kvno give both realms the
		// same keys for krbtgt/IPAM.TEST@OTHER.TEST.
		for _, name := range realms {
			run("", "kadmin.local", "-r", name, "-q", "addprinc -pw "+crossPass+" krbtgt/"+realmName+"@"+otherRealm)
		}
	}

	ctx, cancel := context.WithCancel(context.Background())
	kdc := exec.CommandContext(ctx, tool("krb5kdc"), kdcArgs...)
	kdc.Env = env
	var kdcOut bytes.Buffer
	kdc.Stdout, kdc.Stderr = &kdcOut, &kdcOut
	if err := kdc.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cancel()
		_ = kdc.Wait()
		if t.Failed() {
			log, _ := os.ReadFile(filepath.Join(dir, "kdc.log"))
			t.Logf("krb5kdc output:\n%s\nkdc.log:\n%s", kdcOut.String(), log)
		}
	})
	deadline := time.Now().Add(5 * time.Second)
	for {
		c, err := net.DialTimeout("tcp", fmt.Sprintf("127.0.0.1:%d", port), time.Second)
		if err == nil {
			c.Close()
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("KDC not listening: %v\n%s", err, kdcOut.String())
		}
		time.Sleep(50 * time.Millisecond)
	}
	run(alicePass+"\n", "kinit", "alice")
	return r
}

// run runs an MIT tool with the realm's configuration and ccache.
func (r *realm) run(t *testing.T, ccache, stdin, name string, args ...string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, tool(name), args...)
	cmd.Env = append(append([]string(nil), r.env...), "KRB5CCNAME="+ccache)
	cmd.Stdin = strings.NewReader(stdin)
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("%s %q: %v\n%s", name, args, err, out)
	}
}

func TestMITKerberos(t *testing.T) {
	requirePeers(t)
	r := startRealm(t)
	port := startIpamdWith(t, r.dir, "--security-negotiate-keytab-file", r.keytab)

	// A second daemon whose keytab holds another key for host/localhost
	// (a stale keytab after a password change): its tickets do not
	// decrypt.
	stale := keytab.New()
	if err := stale.AddEntry("host/localhost", realmName, "Old-Service-Pass", time.Now(), 1, 18); err != nil {
		t.Fatal(err)
	}
	b, err := stale.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	staleFile := filepath.Join(r.dir, "stale.keytab")
	if err := os.WriteFile(staleFile, b, 0o600); err != nil {
		t.Fatal(err)
	}
	stalePort := startIpamdWith(t, t.TempDir(), "--security-negotiate-keytab-file", staleFile)
	// Kerberos only (the later, empty accounts-file flag turns NTLM off):
	// a client listing NTLM first gets Kerberos as its second choice, so
	// RFC 4178 makes the mechListMIC exchange mandatory.
	krbOnly := startIpamdWith(t, t.TempDir(), "--security-negotiate-keytab-file", r.keytab, "--security-negotiate-ntlm-accounts-file", "")
	// NTLM only: a client with a Kerberos ticket lists Kerberos first and
	// gets NTLM as its second choice (request-mic, both mechListMICs).
	ntlmOnly := startIpamd(t, t.TempDir())
	users := filepath.Join(r.dir, "ntlm-users")
	if err := os.WriteFile(users, []byte("IPAM:bob:Bob-Pass-1234\n"), 0o600); err != nil {
		t.Fatal(err)
	}

	tests := []struct {
		name     string
		port     string
		args     []string
		wantCode int
		want     string
	}{
		{"spnego", port, []string{"--mech", "spnego"}, 0, "WRAP_RRC 0\nSESSION_OK"},
		{"raw krb5", port, []string{"--mech", "krb5"}, 0, "SESSION_OK"},
		{"spnego, SSPI layout (RRC 28)", port, []string{"--mech", "spnego", "--sspi-layout"}, 0, "WRAP_RRC 28\nSESSION_OK"},
		{"spnego, tampered data frame", port, []string{"--mech", "spnego", "--tamper"}, 4, "CLOSED"},
		{"stale service keytab", stalePort, []string{"--mech", "spnego"}, 3, "HANDSHAKE_ERROR 0x8009030C"},
		{"spnego, NTLM listed first: Kerberos with both mechListMICs", krbOnly, []string{"--mech", "spnego", "--neg-mechs", "ntlm,krb5"}, 0, "NEGOTIATED krb5\nWRAP_RRC 0\nWRAP_RRC 0\nSESSION_OK"},
		{"spnego, two sessions on one socket", port, []string{"--mech", "spnego", "--sessions", "2"}, 0, "SESSION_OK\nAUTHENTICATED mech=spnego"},
		{"spnego, Kerberos listed first, NTLM chosen", ntlmOnly, []string{"--mech", "spnego"}, 0, "NEGOTIATED ntlm\nSESSION_OK"},
		{"spnego, NTLM listed first, SSPI layout", krbOnly, []string{"--mech", "spnego", "--neg-mechs", "ntlm,krb5", "--sspi-layout"}, 0, "NEGOTIATED krb5\nWRAP_RRC 28\nWRAP_RRC 28\nSESSION_OK"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, code := runClient(t, append(cleanEnv(), "KRB5_CONFIG="+r.krb5conf, "KRB5CCNAME="+r.ccache,
				"NTLM_USER_FILE="+users, "NTLMUSER=bob"), tt.port, tt.args...)
			if code != tt.wantCode || !strings.Contains(out, tt.want) {
				t.Fatalf("exit %d, want %d with %q; output:\n%s", code, tt.wantCode, tt.want, out)
			}
		})
	}
}
