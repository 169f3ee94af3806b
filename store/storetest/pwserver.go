package storetest

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"runtime"
	"sort"
	"strconv"
	"testing"
	"time"
)

// PasswordServer starts a throwaway PostgreSQL cluster on 127.0.0.1 that
// wants a password from everyone (scram-sha-256; the shared test server
// trusts loopback, so it cannot show who supplied a password), with a role
// that has one and owns an empty database. The cluster is stopped and
// removed when t ends. It needs the PostgreSQL server binaries (Debian's
// postgresql package); as root, the cluster runs as the postgres user.
// Without them the test skips, or fails under IPAMD_REQUIRE_POSTGRES=1.
func PasswordServer(t testing.TB) PostgresDB {
	t.Helper()
	if runtime.GOOS == "windows" {
		t.Skip("the throwaway PostgreSQL cluster is set up for Unix")
	}
	bin := postgresBin()
	if bin == "" {
		if os.Getenv(EnvRequirePostgres) == "1" {
			t.Fatal("the PostgreSQL server binaries (initdb, pg_ctl) are not installed")
		}
		t.Skip("needs the PostgreSQL server binaries (initdb, pg_ctl)")
	}
	var b [8]byte
	_, _ = rand.Read(b[:])
	superPW, rolePW := "su-"+hex.EncodeToString(b[:4]), "pw-"+hex.EncodeToString(b[4:])
	dir, err := os.MkdirTemp("", "ipamd-pgpw-")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = os.RemoveAll(dir) })
	pwfile := filepath.Join(dir, "pw")
	if err := os.WriteFile(pwfile, []byte(superPW+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var prefix []string // runs a server binary as the postgres user when root
	if os.Geteuid() == 0 {
		u, err := user.Lookup("postgres")
		if err != nil {
			t.Fatalf("as root, the cluster needs the postgres user: %v", err)
		}
		uid, _ := strconv.Atoi(u.Uid)
		gid, _ := strconv.Atoi(u.Gid)
		for _, p := range []string{dir, pwfile} {
			if err := os.Chown(p, uid, gid); err != nil {
				t.Fatal(err)
			}
		}
		prefix = []string{"runuser", "-u", "postgres", "--"}
	}
	run := func(name string, args ...string) {
		t.Helper()
		argv := append(append(append([]string{}, prefix...), filepath.Join(bin, name)), args...)
		out, err := exec.Command(argv[0], argv[1:]...).CombinedOutput()
		if err != nil {
			t.Fatalf("%s: %v\n%s", name, err, out)
		}
	}
	port := freePort(t)
	data := filepath.Join(dir, "data")
	run("initdb", "-D", data, "-U", "postgres", "-A", "scram-sha-256", "--pwfile", pwfile, "--no-sync")
	run("pg_ctl", "-D", data, "-w", "-l", filepath.Join(dir, "log"), "-o",
		"-p "+strconv.Itoa(port)+" -k "+dir+" -c listen_addresses=127.0.0.1 -c fsync=off", "start")
	t.Cleanup(func() {
		argv := append(append(append([]string{}, prefix...), filepath.Join(bin, "pg_ctl")), "-D", data, "-m", "immediate", "stop")
		_ = exec.Command(argv[0], argv[1:]...).Run()
	})
	su := url.URL{Scheme: "postgres", Host: net.JoinHostPort("127.0.0.1", strconv.Itoa(port)), Path: "/postgres",
		User: url.UserPassword("postgres", superPW), RawQuery: "sslmode=disable"}
	db, err := sql.Open("pgx", su.String())
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	for _, q := range []string{
		"CREATE ROLE ipamd_pw LOGIN PASSWORD '" + rolePW + "'",
		"CREATE DATABASE ipam_pw OWNER ipamd_pw",
	} {
		if _, err := db.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	return PostgresDB{Host: "127.0.0.1", Port: port, Name: "ipam_pw", User: "ipamd_pw", Password: rolePW}
}

// postgresBin is the newest installed PostgreSQL server's bin directory
// (Debian: /usr/lib/postgresql/N/bin), or the directory of an initdb on
// PATH; "" if none.
func postgresBin() string {
	dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin")
	sort.Slice(dirs, func(i, j int) bool {
		vi, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[i])))
		vj, _ := strconv.Atoi(filepath.Base(filepath.Dir(dirs[j])))
		return vi > vj
	})
	for _, d := range dirs {
		if _, err := os.Stat(filepath.Join(d, "initdb")); err == nil {
			return d
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		return filepath.Dir(p)
	}
	return ""
}

func freePort(t testing.TB) int {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port
}
