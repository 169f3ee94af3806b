package peer

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"
)

// npmTimeout bounds one `npm ci`.
const npmTimeout = 5 * time.Minute

// NodeModules returns the node_modules directory holding the packages
// pinned by package.json and package-lock.json in the test's directory,
// running `npm ci` first when needed: into a cache directory outside the
// repository keyed by the two files' hash (name-<hash>), so a changed
// lockfile installs afresh, written to a fresh directory and moved into
// place so a failed or concurrent install leaves no half-filled entry.
// probe is a package the install must contain (its package.json is
// checked). A node_modules directory beside the test, if someone ran npm ci
// there, is used instead. Without node and npm, or when npm ci fails (no
// registry access), the test is skipped, or failed under RequireEnv.
func NodeModules(t testing.TB, name, probe string) string {
	t.Helper()
	node, errNode := exec.LookPath("node")
	npm, errNpm := exec.LookPath("npm")
	if errNode != nil || errNpm != nil {
		Missing(t, "node and npm are needed on PATH (Debian: apt-get install nodejs npm)")
	}
	t.Logf("using %s and %s", node, npm)
	installed := func(modules string) bool {
		_, err := os.Stat(filepath.Join(modules, probe, "package.json"))
		return err == nil
	}
	if local, err := filepath.Abs("node_modules"); err == nil && installed(local) {
		return local
	}
	pkg, err := os.ReadFile("package.json")
	if err != nil {
		t.Fatal(err)
	}
	lock, err := os.ReadFile("package-lock.json")
	if err != nil {
		t.Fatal(err)
	}
	sum := sha256.Sum256(append(append([]byte(nil), pkg...), lock...))
	cache, err := os.UserCacheDir()
	if err != nil {
		cache = os.TempDir()
	}
	dir := filepath.Join(cache, "ipamd-interop", name+"-"+hex.EncodeToString(sum[:8]))
	modules := filepath.Join(dir, "node_modules")
	if installed(modules) {
		return modules
	}
	if err := os.MkdirAll(filepath.Dir(dir), 0o755); err != nil {
		t.Fatal(err)
	}
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "install-")
	if err != nil {
		t.Fatal(err)
	}
	defer os.RemoveAll(tmp)
	for file, b := range map[string][]byte{"package.json": pkg, "package-lock.json": lock} {
		if err := os.WriteFile(filepath.Join(tmp, file), b, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), npmTimeout)
	defer cancel()
	cmd := exec.CommandContext(ctx, npm, "ci", "--no-audit", "--no-fund", "--ignore-scripts")
	cmd.Dir = tmp
	start := time.Now()
	if out, err := cmd.CombinedOutput(); err != nil {
		Missing(t, "npm ci (needs the npm registry) failed: %v\n%s", err, out)
	}
	t.Logf("npm ci in %v", time.Since(start).Round(time.Millisecond))
	if err := os.Rename(tmp, dir); err != nil && !installed(modules) {
		t.Fatalf("moving the npm install into %s: %v", dir, err)
	}
	return modules
}
