// Command dist builds ipamd's release artifacts into one directory (`make
// dist`; docs/release.md): static binaries for each platform, stamped with
// the version and commit and built reproducibly (CGO_ENABLED=0, -trimpath,
// -buildvcs=false, an empty build id, the commit's time as the only
// timestamp); man pages and shell completions generated from the command
// tree; a tar.gz per Linux platform and a zip for Windows; .deb and .rpm
// packages by nfpm; and SHA256SUMS naming every artifact. Run it from the
// repository root.
package main

import (
	"bytes"
	"compress/gzip"
	"errors"
	"flag"
	"fmt"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/ipamd/ipamd/internal/release"
)

// nfpmModule is the pinned packager, run with `go run` so that its
// dependencies stay out of ipamd's go.mod.
const nfpmModule = "github.com/goreleaser/nfpm/v2/cmd/nfpm@v2.48.0"

type options struct {
	out, version, commit string
	date                 int64
	platforms            []string
	packagers            []string
	archives             bool
}

func main() {
	var o options
	var platforms, packagers string
	flag.StringVar(&o.out, "out", "dist", "output `DIR` (emptied first)")
	flag.StringVar(&o.version, "version", "", "version stamped into the binaries and names (required)")
	flag.StringVar(&o.commit, "commit", "", "commit stamped into the binaries (required)")
	flag.Int64Var(&o.date, "date", 0, "Unix time of the commit: every timestamp in the artifacts (default $SOURCE_DATE_EPOCH)")
	flag.StringVar(&platforms, "platforms", "linux/amd64,linux/arm64,windows/amd64", "GOOS/GOARCH list")
	flag.StringVar(&packagers, "packagers", "deb,rpm", "nfpm packagers for the Linux platforms (empty: none)")
	flag.BoolVar(&o.archives, "archives", true, "write the tar.gz and zip archives")
	flag.Parse()
	if o.date == 0 {
		o.date, _ = strconv.ParseInt(os.Getenv("SOURCE_DATE_EPOCH"), 10, 64)
	}
	o.platforms = splitList(platforms)
	o.packagers = splitList(packagers)
	if err := run(o); err != nil {
		fmt.Fprintln(os.Stderr, "dist:", err)
		os.Exit(1)
	}
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

var (
	versionRe  = regexp.MustCompile(`^[0-9A-Za-z][0-9A-Za-z.+~-]*$`)
	platformRe = regexp.MustCompile(`^(linux|windows)/(amd64|arm64)$`)
)

func run(o options) error {
	if !versionRe.MatchString(o.version) || !versionRe.MatchString(o.commit) {
		return fmt.Errorf("-version %q and -commit %q must be set (letters, digits, .+~-)", o.version, o.commit)
	}
	if o.date <= 0 {
		return errors.New("-date or SOURCE_DATE_EPOCH is required: the artifacts carry no other time")
	}
	for _, p := range o.platforms {
		if !platformRe.MatchString(p) {
			return fmt.Errorf("platform %q: want linux or windows / amd64 or arm64", p)
		}
	}
	mtime := time.Unix(o.date, 0).UTC()
	if err := os.RemoveAll(o.out); err != nil {
		return err
	}
	build := filepath.Join(o.out, "build")
	if err := os.MkdirAll(build, 0o755); err != nil {
		return err
	}

	// Binaries; the host's also generates the docs and stages the unit.
	host := runtime.GOOS + "/" + runtime.GOARCH
	need := append([]string(nil), o.platforms...)
	if !contains(need, host) {
		need = append(need, host)
	}
	bins := map[string]string{}
	for _, p := range need {
		goos, goarch, _ := strings.Cut(p, "/")
		bin := filepath.Join(build, goos+"_"+goarch, "ipamd"+exeSuffix(goos))
		if err := goBuild(goos, goarch, o.version, o.commit, bin); err != nil {
			return err
		}
		bins[p] = bin
	}
	hostBin := bins[host]

	manDir, complDir := filepath.Join(build, "man"), filepath.Join(build, "completions")
	if err := runCmd(nil, hostBin, "dev", "gen-docs", "--man", manDir, "--completions", complDir,
		"--date", strconv.FormatInt(o.date, 10), "--version", o.version); err != nil {
		return err
	}
	if err := gzipMan(manDir, mtime); err != nil {
		return err
	}
	// The packages' unit and configuration are what `ipamd service install`
	// writes for a system user and /usr/bin: one source for both ways.
	pkgroot := filepath.Join(build, "pkgroot")
	if err := runCmd(nil, hostBin, "service", "install", "--root", pkgroot, "--exec-path", "/usr/bin/ipamd",
		"--user", "ipamd", "--config", "/etc/ipamd/ipamd.yaml"); err != nil {
		return err
	}

	var artifacts []string
	if o.archives {
		for _, p := range o.platforms {
			name, err := writeArchive(o, p, bins[p], manDir, complDir, mtime)
			if err != nil {
				return err
			}
			artifacts = append(artifacts, name)
		}
	}
	for _, p := range o.platforms {
		goos, goarch, _ := strings.Cut(p, "/")
		if goos != "linux" {
			continue
		}
		for _, packager := range o.packagers {
			name, err := nfpm(o, build, goarch, packager)
			if err != nil {
				return err
			}
			artifacts = append(artifacts, name)
		}
	}
	sums, err := release.SHA256Sums(o.out, artifacts)
	if err != nil {
		return err
	}
	if err := os.WriteFile(filepath.Join(o.out, "SHA256SUMS"), sums, 0o644); err != nil {
		return err
	}
	os.Stdout.Write(sums)
	return nil
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func exeSuffix(goos string) string {
	if goos == "windows" {
		return ".exe"
	}
	return ""
}

// goBuild builds a static binary whose bytes depend on the source, the Go
// version and the flags only: no cgo, no file system paths (-trimpath), no
// VCS stamp (version and commit come from -X), no build id, no symbol table.
func goBuild(goos, goarch, version, commit, out string) error {
	ldflags := fmt.Sprintf("-s -w -buildid= -X main.version=%s -X main.commit=%s", version, commit)
	env := []string{"CGO_ENABLED=0", "GOOS=" + goos, "GOARCH=" + goarch, "GOFLAGS=-mod=readonly"}
	return runCmd(env, "go", "build", "-trimpath", "-buildvcs=false", "-ldflags", ldflags, "-o", out, "./cmd/ipamd")
}

func runCmd(env []string, name string, args ...string) error {
	cmd := exec.Command(name, args...)
	cmd.Env = append(os.Environ(), env...)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("%s %s: %w\n%s", name, strings.Join(args, " "), err, out.Bytes())
	}
	return nil
}

// gzipMan compresses each page to NAME.1.gz as packages install them
// (gzip -n: no name, the fixed time).
func gzipMan(dir string, mtime time.Time) error {
	pages, err := filepath.Glob(filepath.Join(dir, "*.1"))
	if err != nil {
		return err
	}
	for _, p := range pages {
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		var b bytes.Buffer
		zw, _ := gzip.NewWriterLevel(&b, gzip.BestCompression)
		zw.ModTime = mtime
		zw.Write(data)
		if err := zw.Close(); err != nil {
			return err
		}
		if err := os.WriteFile(p+".gz", b.Bytes(), 0o644); err != nil {
			return err
		}
	}
	return nil
}

// writeArchive writes ipamd_<version>_<os>_<arch>.tar.gz (Linux) or .zip
// (Windows): the binary, README, example configuration, the unit for
// reference (`ipamd service install` writes its own), man pages (Linux)
// and completions.
func writeArchive(o options, platform, bin, manDir, complDir string, mtime time.Time) (string, error) {
	goos, goarch, _ := strings.Cut(platform, "/")
	top := fmt.Sprintf("ipamd_%s_%s_%s", o.version, goos, goarch)
	a := release.Archive{Top: top, MTime: mtime, Entries: []release.Entry{
		{Name: filepath.Base(bin), Mode: 0o755, Src: bin},
		{Name: "README.md", Mode: 0o644, Src: "README.md"},
		{Name: "ipamd.example.yaml", Mode: 0o644, Src: "deploy/ipamd.example.yaml"},
	}}
	if goos == "windows" {
		a.Entries = append(a.Entries, release.Entry{Name: "completions/ipamd.ps1", Mode: 0o644, Src: filepath.Join(complDir, "ipamd.ps1")})
		name := top + ".zip"
		return name, release.WriteFile(filepath.Join(o.out, name), a, release.WriteZip)
	}
	a.Entries = append(a.Entries, release.Entry{Name: "ipamd.service", Mode: 0o644, Src: "deploy/systemd/ipamd.service"})
	for _, dir := range []struct{ src, pattern, dst string }{{manDir, "*.1", "man/man1/"}, {complDir, "*", "completions/"}} {
		files, err := filepath.Glob(filepath.Join(dir.src, dir.pattern))
		if err != nil {
			return "", err
		}
		sort.Strings(files)
		for _, f := range files {
			a.Entries = append(a.Entries, release.Entry{Name: dir.dst + filepath.Base(f), Mode: 0o644, Src: f})
		}
	}
	name := top + ".tar.gz"
	return name, release.WriteFile(filepath.Join(o.out, name), a, release.WriteTarGz)
}

// releaseRe is a release version: v1.2, 1.2.3, v1.2.3-4-gabcdef (describe).
var releaseRe = regexp.MustCompile(`^v?[0-9]+\.[0-9]+`)

// packageVersion makes a version dpkg and rpm both order and accept: no
// leading v; anything that is not a release (an untagged `git describe` is
// a bare hash, which may start with a digit) becomes 0~git<it>, older than
// any release; '-' (a release field separator to both) becomes '.'.
func packageVersion(v string) string {
	if releaseRe.MatchString(v) {
		v = strings.TrimPrefix(v, "v")
	} else {
		v = "0~git" + v
	}
	return strings.ReplaceAll(v, "-", ".")
}

// nfpm builds one package with deploy/packaging/nfpm.yaml; the package's
// times are the commit's (SOURCE_DATE_EPOCH).
func nfpm(o options, build, goarch, packager string) (string, error) {
	ext := map[string]string{"deb": ".deb", "rpm": ".rpm"}[packager]
	if ext == "" {
		return "", fmt.Errorf("packager %q: want deb or rpm", packager)
	}
	name := fmt.Sprintf("ipamd_%s_linux_%s%s", o.version, goarch, ext)
	abs, err := filepath.Abs(build)
	if err != nil {
		return "", err
	}
	env := []string{
		"IPAMD_ARCH=" + goarch, "IPAMD_PKG_VERSION=" + packageVersion(o.version), "IPAMD_BUILD=" + abs,
		"SOURCE_DATE_EPOCH=" + strconv.FormatInt(o.date, 10),
		"GOFLAGS=", // nfpm's own module, not ours
	}
	if err := runCmd(env, "go", "run", nfpmModule, "package", "--config", "deploy/packaging/nfpm.yaml",
		"--packager", packager, "--target", filepath.Join(o.out, name)); err != nil {
		return "", err
	}
	// nfpm writes the file with its own mode; the artifacts are read-only data.
	return name, os.Chmod(filepath.Join(o.out, name), fs.FileMode(0o644))
}
