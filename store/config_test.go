package store

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func TestPolicyResolve(t *testing.T) {
	state := t.TempDir()
	extra := t.TempDir()
	outside := t.TempDir()
	escape := filepath.Join(state, "escape")
	if err := os.Symlink(outside, escape); err != nil && runtime.GOOS != "windows" {
		t.Fatal(err)
	}
	pol := Policy{StateDir: state, AllowedDirectories: []string{extra}, AllowedHosts: []string{"db1.example", "10.0.0.5:6432", "[::1]:5433", "::2"}}
	pg := func(host string, port uint32, name string, auth ipam.IpamDatabaseAuthenticationType, user string) *ipam.IpamDatabaseConfiguration {
		return &ipam.IpamDatabaseConfiguration{DatabaseType: ipam.IpamDatabaseTypeMSSQLServer, DatabaseServerNameOrIP: &host, DatabasePort: port,
			DatabaseName: &name, DatabaseAuthenticationType: auth,
			DatabaseCredential: &ipam.IpamCredential{UserName: &user, Password: []byte("hunter2-secret")}}
	}
	wid := func(path string) *ipam.IpamDatabaseConfiguration {
		return &ipam.IpamDatabaseConfiguration{DatabaseType: ipam.IpamDatabaseTypeWindowsInternalDatabase, DatabasePath: &path}
	}
	for _, tc := range []struct {
		name    string
		in      *ipam.IpamDatabaseConfiguration
		want    Config
		refused string // substring of the refusal; "" = accepted
	}{
		{"nil is the default", nil, pol.DefaultConfig(), ""},
		{"empty WID path is the default", wid(""), pol.DefaultConfig(), ""},
		{"not configured type is WID", &ipam.IpamDatabaseConfiguration{DatabaseType: ipam.IpamDatabaseTypeDatabaseTypeNotConfigured}, pol.DefaultConfig(), ""},
		{"state dir subdirectory", wid(filepath.Join(state, "db", "new")), Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(state, "db", "new", WIDFileName)}, ""},
		{"allowed directory", wid(extra), Config{Type: ipam.IpamDatabaseTypeWindowsInternalDatabase, Path: filepath.Join(extra, WIDFileName)}, ""},
		{"outside", wid(outside), Config{}, "not inside the state directory"},
		{"dot-dot out", wid(state + "/../" + filepath.Base(outside)), Config{}, "not inside"},
		{"relative", wid("ipam/db"), Config{}, "absolute directory path"},
		{"windows path on the ipamd host", wid(`C:\Windows\System32\ipam\Database`), Config{}, "absolute directory path"},
		{"postgres", pg("DB1.example", 0, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "ipamd"),
			Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "DB1.example", Port: 5432, Name: "ipam", User: "ipamd", Password: "hunter2-secret"}, ""},
		{"postgres host:port", pg("10.0.0.5", 6432, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"),
			Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "10.0.0.5", Port: 6432, Name: "ipam", User: "u", Password: "hunter2-secret"}, ""},
		{"postgres v6", pg("::1", 5433, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"),
			Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "::1", Port: 5433, Name: "ipam", User: "u", Password: "hunter2-secret"}, ""},
		{"postgres bare v6 is port 5432", pg("::2", 0, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"),
			Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "::2", Port: 5432, Name: "ipam", User: "u", Password: "hunter2-secret"}, ""},
		{"bare host allows 5432 only", pg("db1.example", 5433, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"), Config{}, "db1.example:5433 refused: not in store.allowed_hosts"},
		{"bare v6 host allows 5432 only", pg("::2", 6432, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"), Config{}, "not in store.allowed_hosts"},
		{"v6 host:port other port", pg("::1", 5432, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"), Config{}, "not in store.allowed_hosts"},
		{"host not allowed", pg("db2.example", 0, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"), Config{}, "db2.example:5432 refused: not in store.allowed_hosts"},
		{"port not allowed", pg("10.0.0.5", 5432, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"), Config{}, "not in store.allowed_hosts"},
		{"port out of range", pg("db1.example", 70000, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"), Config{}, "not a TCP port"},
		{"bad name", pg("db1.example", 0, "ipam; DROP", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, "u"), Config{}, "DatabaseName"},
		{"windows authentication", pg("db1.example", 0, "ipam", ipam.IpamDatabaseAuthenticationTypeWindowsAuthentication, "u"), Config{}, "SQLAuthentication only"},
		{"no user", pg("db1.example", 0, "ipam", ipam.IpamDatabaseAuthenticationTypeSQLAuthentication, ""), Config{}, "UserName"},
		{"unknown type", &ipam.IpamDatabaseConfiguration{DatabaseType: "Oracle"}, Config{}, "not supported"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, err := pol.Resolve(tc.in)
			if tc.refused == "" {
				if err != nil {
					t.Fatalf("refused: %v", err)
				}
				if got != tc.want {
					t.Fatalf("got %#v, want %#v", got, tc.want)
				}
				return
			}
			if err == nil {
				t.Fatalf("accepted as %v", got)
			}
			exc := adm.Exception(err, "x")
			if exc.ExceptionID != ipam.IpamApiErrorInvalidDatabaseConfiguration || !strings.Contains(exc.Message, tc.refused) {
				t.Errorf("refusal %s %q, want IpamApiErrorInvalidDatabaseConfiguration saying %q", exc.ExceptionID, exc.Message, tc.refused)
			}
			if strings.Contains(exc.Message, "hunter2") {
				t.Errorf("refusal shows the password: %q", exc.Message)
			}
		})
	}
	if runtime.GOOS != "windows" {
		if _, err := pol.Resolve(wid(filepath.Join(escape, "db"))); err == nil {
			t.Error("a symlink out of the state directory was accepted")
		}
	}
}

func TestConfigStringHidesPassword(t *testing.T) {
	c := Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "h", Port: 1, Name: "n", User: "u", Password: "pw-123456"}
	for _, s := range []string{c.String(), c.GoString()} {
		if strings.Contains(s, "pw-123456") {
			t.Errorf("%q shows the password", s)
		}
	}
}

func TestActiveFile(t *testing.T) {
	dir := t.TempDir()
	if _, ok, err := LoadActive(dir); ok || err != nil {
		t.Fatalf("empty state dir: ok=%v err=%v", ok, err)
	}
	c := Config{Type: ipam.IpamDatabaseTypeMSSQLServer, Host: "db", Port: 5432, Name: "ipam", User: "u", Password: "pw-secret"}
	for _, remember := range []bool{false, true} {
		if err := SaveActive(dir, c, remember); err != nil {
			t.Fatal(err)
		}
		got, ok, err := LoadActive(dir)
		if err != nil || !ok {
			t.Fatalf("LoadActive: %v %v", ok, err)
		}
		want := c
		if !remember {
			want.Password = ""
		}
		if got != want {
			t.Errorf("remember=%v: got %#v", remember, got)
		}
		b, _ := os.ReadFile(filepath.Join(dir, ActiveFileName))
		if strings.Contains(string(b), "pw-secret") != remember {
			t.Errorf("remember=%v: file %s", remember, b)
		}
		if fi, err := os.Stat(filepath.Join(dir, ActiveFileName)); err != nil || (runtime.GOOS != "windows" && fi.Mode().Perm() != 0o600) {
			t.Errorf("mode %v, %v; want 0600", fi.Mode(), err)
		}
	}
	if err := os.WriteFile(filepath.Join(dir, ActiveFileName), []byte(`{"format":1,"databaseType":"WindowsInternalDatabase","databasePath":"rel"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	if _, _, err := LoadActive(dir); err == nil {
		t.Error("relative databasePath accepted")
	}
	entries, _ := os.ReadDir(dir)
	if len(entries) != 1 {
		t.Errorf("state dir holds %d entries (temporary files left?)", len(entries))
	}
}

func TestCompareVersions(t *testing.T) {
	for _, tc := range []struct {
		a, b string
		want int
	}{
		{"10.0.0.0", "10.0.0.0", 0}, {"6.2.0.0", "10.0.0.0", -1}, {"10.0.0.1", "10.0.0.0", 1}, {"", "6.2.0.0", -1}, {"junk", "0.0.0.0", 0},
	} {
		if got := compareVersions(tc.a, tc.b); got != tc.want {
			t.Errorf("compareVersions(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
}
