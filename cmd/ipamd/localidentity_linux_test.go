package main

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/ipamd/ipamd/internal/daemontest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// osUser is a throwaway unprivileged account for a test.
type osUser struct {
	name     string
	uid, gid uint32
}

// newOSUser creates an unprivileged system account with a group of its own
// (useradd; the tests run as root) and removes both when the test ends.
func newOSUser(t *testing.T) osUser {
	t.Helper()
	if os.Getuid() != 0 {
		t.Skip("creating a second OS user needs root")
	}
	if _, err := exec.LookPath("useradd"); err != nil {
		t.Skip("useradd not found")
	}
	var b [4]byte
	_, _ = rand.Read(b[:])
	name := "ipamdt" + hex.EncodeToString(b[:])
	if out, err := exec.Command("useradd", "--system", "--no-create-home", "--user-group", "--shell", "/usr/sbin/nologin", name).CombinedOutput(); err != nil {
		t.Fatalf("useradd %s: %v\n%s", name, err, out)
	}
	t.Cleanup(func() {
		if out, err := exec.Command("userdel", name).CombinedOutput(); err != nil {
			t.Errorf("userdel %s: %v\n%s", name, err, out)
		}
		_ = exec.Command("groupdel", name).Run() // when USERGROUPS_ENAB did not remove it
	})
	u, err := user.Lookup(name)
	if err != nil {
		t.Fatal(err)
	}
	uid, _ := strconv.ParseUint(u.Uid, 10, 32)
	gid, _ := strconv.ParseUint(u.Gid, 10, 32)
	if uid == 0 {
		t.Fatalf("%s got uid 0", name)
	}
	return osUser{name: name, uid: uint32(uid), gid: uint32(gid)}
}

// publicBinary is a copy of the ipamd binary another user can execute.
func publicBinary(t *testing.T) string {
	t.Helper()
	dir, err := os.MkdirTemp("", "ipamd-localid")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.RemoveAll(dir) })
	if err := os.Chmod(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	b, err := os.ReadFile(daemontest.Binary(t))
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "ipamd")
	if err := os.WriteFile(p, b, 0o755); err != nil {
		t.Fatal(err)
	}
	return p
}

// runAs runs a command as u (nil: as this process) and returns stdout and
// the exit code.
func runAs(t *testing.T, u *osUser, stdin []byte, name string, args ...string) (string, int) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(daemontest.CleanEnv(), "HOME=/")
	cmd.Dir = "/"
	if u != nil {
		cmd.SysProcAttr = &syscall.SysProcAttr{Credential: &syscall.Credential{Uid: u.uid, Gid: u.gid, Groups: []uint32{u.gid}}}
	}
	cmd.Stdin = bytes.NewReader(stdin)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	err := cmd.Run()
	var ee *exec.ExitError
	switch {
	case err == nil:
		return out.String(), 0
	case errors.As(err, &ee):
		if errb.Len() > 0 {
			t.Logf("%s stderr: %s", name, errb.String())
		}
		return out.String(), ee.ExitCode()
	}
	t.Fatalf("%s: %v", name, err)
	return "", -1
}

// httpListener is the address of the daemon's http listener.
func (d *daemon) httpListener() string {
	for _, e := range d.Log.Find(func(e daemontest.Entry) bool { return e.Msg() == "listening" && e.String("transport") == "http" }) {
		return e.String("addr")
	}
	return ""
}

// postScript is an HTTP client for another OS user: Python's standard
// library (python3 is a CI peer anyway, for zeep), POSTing stdin as SOAP 1.2
// and printing the body, a newline and the status.
const postScript = `import sys, urllib.request, urllib.error
req = urllib.request.Request(sys.argv[1], data=sys.stdin.buffer.read(), headers={"Content-Type": "application/soap+xml; charset=utf-8"})
try:
    r = urllib.request.urlopen(req, timeout=20); body, code = r.read(), r.status
except urllib.error.HTTPError as e:
    body, code = e.read(), e.code
sys.stdout.write(body.decode("utf-8", "replace") + "\n" + str(code))
`

// initializeOverHTTP POSTs an InitializeAsyncProvisioning as u and returns
// the status and the body.
func initializeOverHTTP(t *testing.T, u *osUser, addr string) (int, string) {
	t.Helper()
	const python = "/usr/bin/python3"
	if _, err := os.Stat(python); err != nil {
		t.Skip("python3 not found: the HTTP half needs an HTTP client")
	}
	body := `<s:Envelope xmlns:s="http://www.w3.org/2003/05/soap-envelope" xmlns:a="http://www.w3.org/2005/08/addressing"><s:Header>` +
		`<a:Action s:mustUnderstand="1">` + ipam.ActionInitializeAsyncProvisioning + `</a:Action><a:MessageID>urn:uuid:6b1f1c3e-0000-4000-8000-000000000002</a:MessageID>` +
		`<a:ReplyTo><a:Address>http://127.0.0.1:9/cb</a:Address></a:ReplyTo></s:Header><s:Body><InitializeAsyncProvisioning xmlns="http://Microsoft.Windows.Ipam">` +
		`<parameters i:type="IpamProvisioningEnumerationParameters" xmlns:i="http://www.w3.org/2001/XMLSchema-instance"><FetchAllData>true</FetchAllData>` +
		`<IncludeCustomFieldValues>false</IncludeCustomFieldValues><ObjectType>AsyncProvision</ObjectType><IpamProvisioningSetting>` +
		`<CreateNewSchema>true</CreateNewSchema><GpoPrefix>IPAM</GpoPrefix><ProvisioningMethod>Automatic</ProvisioningMethod></IpamProvisioningSetting>` +
		`</parameters></InitializeAsyncProvisioning></s:Body></s:Envelope>`
	out, code := runAs(t, u, []byte(body), python, "-c", postScript, "http://"+addr+"/ipam/IIpamAsyncProvision")
	if code != 0 {
		t.Fatalf("python3 exit %d: %s", code, out)
	}
	i := strings.LastIndexByte(out, '\n')
	if i < 0 {
		t.Fatalf("no status in %q", out)
	}
	status, _ := strconv.Atoi(strings.TrimSpace(out[i+1:]))
	return status, out[:i]
}

// provisionAs runs `ipamd provision` as u against the net.tcp listener.
func provisionAs(t *testing.T, u *osUser, bin, addr string) report {
	t.Helper()
	out, _ := runAs(t, u, nil, bin, "provision", "--server", "net.tcp://"+addr+"/ipam/IIpamAsyncProvision",
		"--database-type", "WindowsInternalDatabase", "--output", "json")
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("provision output: %v\n%s", err, out)
	}
	return r
}

// TestLocalCallerIdentity: on the default none listeners, the caller is
// the OS account owning its loopback socket. A throwaway unprivileged user
// gets IpamApiAccessDenied over net.tcp and over HTTP while root
// provisions; listed in security.local_administrators (by its group's
// name) the same user is an administrator; security.local_identity trust
// restores the old rule, with a warning.
func TestLocalCallerIdentity(t *testing.T) {
	u := newOSUser(t)
	bin := publicBinary(t)

	t.Run("os", func(t *testing.T) {
		d := startDaemon(t, "--listen", "http://127.0.0.1:0")
		r := provisionAs(t, &u, bin, d.netTCP)
		if r.Outcome != "exception" || r.Exception == nil || r.Exception.ID != ipam.IpamApiAccessDenied {
			t.Errorf("unprivileged user over net.tcp: %+v, want IpamApiAccessDenied", r)
		}
		status, body := initializeOverHTTP(t, &u, d.httpListener())
		if status != 400 || !strings.Contains(body, ipam.IpamApiAccessDenied) {
			t.Errorf("unprivileged user over HTTP: %d %s, want 400 with IpamApiAccessDenied", status, body)
		}
		// The audit line names the account: "none:<uid>(<name>)".
		if e := d.FindLog("operation refused: caller is not authorized"); e == nil {
			t.Error("no audit line for the refusal")
		} else if c, _ := e["caller"].(string); c != "none:"+strconv.Itoa(int(u.uid))+"("+u.name+")" {
			t.Errorf("the refusal names caller %q, want none:%d(%s)", c, u.uid, u.name)
		}
		if r := provisionAs(t, nil, bin, d.netTCP); r.Outcome != "success" {
			t.Errorf("root over net.tcp: %+v, want success", r)
		}
		d.Signal(syscall.SIGTERM)
		d.ExitCode(20 * time.Second)
	})
	t.Run("local administrators", func(t *testing.T) {
		d := startDaemon(t, "--security-local-administrators", u.name)
		if r := provisionAs(t, &u, bin, d.netTCP); r.Outcome != "success" {
			t.Errorf("listed user over net.tcp: %+v, want success", r)
		}
		d.Signal(syscall.SIGTERM)
		d.ExitCode(20 * time.Second)
	})
	t.Run("trust", func(t *testing.T) {
		d := startDaemon(t, "--security-local-identity", "trust")
		if d.FindLog("security.local_identity is trust: every caller of a listener without transport security is an IPAM administrator, whatever its local account") == nil {
			t.Error("no warning for security.local_identity trust")
		}
		if r := provisionAs(t, &u, bin, d.netTCP); r.Outcome != "success" {
			t.Errorf("unprivileged user with trust: %+v, want success", r)
		}
		d.Signal(syscall.SIGTERM)
		d.ExitCode(20 * time.Second)
	})
}

// TestUnknownLocalAdministratorGroup: a group name that does not resolve
// stops the start instead of silently admitting nobody (or everybody).
func TestUnknownLocalAdministratorGroup(t *testing.T) {
	_, stderr, code := ipamd(t, nil, "serve", "--listen", "net.tcp://127.0.0.1:0", "--admin-listen", "",
		"--state-dir", t.TempDir(), "--security-local-administrators", "no-such-group-ipamd")
	if code == 0 || !strings.Contains(stderr, "security.local_administrators: group") || !strings.Contains(stderr, "unknown group no-such-group-ipamd") {
		t.Errorf("exit %d, stderr %q", code, stderr)
	}
}
