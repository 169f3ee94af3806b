package deptest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"
)

// room is a group of packages with one place in the layering. Patterns are
// module-relative import paths; "x/..." is x and everything below it. A
// package belongs to the room with its longest matching pattern.
type room struct {
	name     string
	patterns []string
	// may are the other rooms its production code may import (a room may
	// always import itself).
	may []string
	why string
}

// rooms is the layering, lowest first; docs/architecture.md draws it.
var rooms = []room{
	{name: "leaf", patterns: []string{
		"soap/...", "config/...", "wsdl/...", "duplex/admission", "duplex/security/...",
		"duplex/contain", "duplex/hostcheck", "internal/allocbudget", "internal/workpool", "services/adm",
		"internal/protocoldoc", "internal/release/...", "internal/deptest",
	}, why: "encodings, configuration, the generated contract, the transport's verified identity and the ADM rules " +
		"with their one error table are used by everything above and use nothing above, so each can be fuzzed and tested alone"},
	{name: "duplex", patterns: []string{"duplex/..."}, may: []string{"leaf"},
		why: "the transports frame bytes into messages and know no session, service or store"},
	{name: "testkit", patterns: []string{"internal/attack", "internal/daemontest", "internal/negotiatetest"}, may: []string{"leaf", "duplex"},
		why: "hostile payloads and the process harness that the tests of every room import (attack frames records " +
			"with duplex/nmf's framer rather than a copy of it; daemontest builds and runs the binary, negotiatetest is " +
			"the NegotiateStream client side, for cmd/ipamd's tests and the suites alike); no production package imports them"},
	{name: "sessions", patterns: []string{"sessions/..."}, may: []string{"leaf"},
		why: "the session state machine works on messages; it reaches its transport through an interface, so " +
			"net.tcp and SOAP/HTTP sessions are one implementation and neither transport is its dependency"},
	{name: "bind", patterns: []string{"sessions/bind"}, may: []string{"leaf", "duplex", "sessions"},
		why: "one small binding per transport adapts a framed connection to sessions.Transport; it is the only " +
			"package that names both a transport and the sessions, so a third transport is one more file here"},
	{name: "services", patterns: []string{"services/..."}, may: []string{"leaf"},
		why: "the application (the port types, ADM gating, async jobs, IPAM roles) knows no transport, no session " +
			"and no SQL: sessions reach it through wsdl/ipam's port interfaces, and it defines the Store it needs"},
	{name: "store", patterns: []string{"store/..."}, may: []string{"leaf", "services"},
		why: "the data store implements what services need and may use their contracts (services/progress); " +
			"services never import it, so they run on the in-memory Memory as well"},
	{name: "client", patterns: []string{"client/...", "internal/loadgen/..."}, may: []string{"leaf", "duplex"},
		why: "the client library and the load generator speak the protocol from the other end; linking them " +
			"must not pull in the server's sessions, services or store"},
	{name: "tools", patterns: []string{"internal/v1gen"}, may: []string{"leaf", "store"},
		why: "the v1 test-data generator writes store tables and nothing else"},
	{name: "server", patterns: []string{"internal/server/..."},
		may: []string{"leaf", "duplex", "sessions", "bind", "services", "store", "client", "tools"},
		why: "the daemon's wiring: listeners → framing → sessions → services → store, startable in-process by servertest"},
	{name: "command", patterns: []string{"cmd/..."},
		may: []string{"leaf", "duplex", "sessions", "bind", "services", "store", "client", "tools", "server"},
		why: "the binary's commands sit on top; nothing imports them"},
	{name: "test", patterns: []string{"test/..."},
		may: []string{"leaf", "duplex", "sessions", "bind", "services", "store", "client", "tools", "server", "testkit"},
		why: "suites that drive a built daemon or real peers; only they import their own harnesses, and they " +
			"start the daemon as a process, never by importing cmd"},
}

// rule is a constraint beyond the rooms' may-lists.
type rule struct {
	from string // a pattern
	deny []string
	why  string
}

var rules = []rule{
	{from: "sessions", deny: []string{"duplex/nmf", "duplex/soaphttp"},
		why: "sessions name no transport (room sessions; stated per package so the transport branch's fix is visible)"},
	{from: "cmd/ipamd", deny: []string{"sessions", "duplex/soaphttp"},
		why: "serving is wired in internal/server; the main package parses commands and starts it"},
	{from: "duplex/security/...", deny: []string{"services/...", "duplex/nmf", "duplex/soaphttp"},
		why: "security verifies who the peer is; what that peer may do (the IPAM roles) is services' decision"},
}

// sqlDeps, metricsDeps and krb5Deps are the third-party (and standard)
// packages of the store, the metrics and the Kerberos acceptor.
var (
	sqlDeps     = []string{"database/sql", "github.com/jackc/pgx/...", "modernc.org/sqlite/..."}
	metricsDeps = []string{"github.com/prometheus/..."}
	krb5Deps    = []string{"github.com/jcmturner/..."}
	cliDeps     = []string{"github.com/spf13/..."}
)

// linkBans are dependencies, direct or not, a package must not link (the
// style of Tailscale's deptest BadDeps): what a room must not need is also
// what it must not pull in through a helper.
var linkBans = []rule{
	{from: "services/...", deny: slices.Concat(sqlDeps, metricsDeps, krb5Deps),
		why: "the application knows no SQL (the store behind the Store interface does), reports through WorkObserver and verifies no tickets"},
	{from: "sessions", deny: slices.Concat(sqlDeps, metricsDeps, krb5Deps),
		why: "the session layer reports through its Observer (the collectors live with the command) and gets identities already verified"},
	{from: "soap/...", deny: slices.Concat(sqlDeps, metricsDeps, krb5Deps, cliDeps),
		why: "the envelope layer and its encodings are pure functions of bytes"},
	{from: "duplex/nmf", deny: slices.Concat(sqlDeps, metricsDeps, krb5Deps),
		why: "the framing carries no crypto policy: upgraders are handed to it, so it links no acceptor"},
	{from: "duplex/security", deny: krb5Deps,
		why: "the identity is what the upgraders produce; the acceptors live in the subpackages"},
	{from: "client/...", deny: slices.Concat(sqlDeps, metricsDeps, cliDeps),
		why: "a program embedding the client links neither the server's storage, its metrics nor the command line"},
	{from: "internal/loadgen", deny: slices.Concat(sqlDeps, metricsDeps, cliDeps),
		why: "the load generator is a client; the command line that runs it is the command's"},
}

// edge is an import from one module package to another (module-relative).
type edge struct{ from, to string }

// knownViolations are imports that break a rule today and that a branch
// being merged removes. Delete an entry when its branch is merged; the test
// fails on an entry that no longer matches an import, so none outlives its
// reason.
var knownViolations = map[edge]string{}

// pkg is what `go list -json` says about one package.
type pkg struct {
	ImportPath   string
	Name         string
	Imports      []string
	TestImports  []string
	XTestImports []string
	Deps         []string // transitive, full import paths
}

var (
	listOnce sync.Once
	listed   map[string][]pkg // GOOS → packages
	module   string
	listErr  error
)

// goosList are the systems whose build constraints are checked: the
// daemon ships for both, and each has files the other does not build.
var goosList = []string{"linux", "windows"}

// packages lists the module's packages for goos, module-relative.
func packages(t *testing.T, goos string) []pkg {
	t.Helper()
	listOnce.Do(func() {
		out, err := exec.Command("go", "list", "-m").Output()
		if err != nil {
			listErr = fmt.Errorf("go list -m: %w", err)
			return
		}
		module = strings.TrimSpace(string(out))
		root, err := exec.Command("go", "list", "-m", "-f", "{{.Dir}}").Output()
		if err != nil {
			listErr = err
			return
		}
		listed = map[string][]pkg{}
		for _, g := range goosList {
			cmd := exec.Command("go", "list", "-e", "-json=ImportPath,Name,Imports,TestImports,XTestImports,Deps", "./...")
			cmd.Dir = strings.TrimSpace(string(root))
			cmd.Env = append(os.Environ(), "GOOS="+g, "CGO_ENABLED=0")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			out, err := cmd.Output()
			if err != nil {
				listErr = fmt.Errorf("GOOS=%s go list: %w: %s", g, err, stderr.Bytes())
				return
			}
			dec := json.NewDecoder(bytes.NewReader(out))
			for {
				var p pkg
				if err := dec.Decode(&p); err == io.EOF {
					break
				} else if err != nil {
					listErr = err
					return
				}
				p.ImportPath = rel(p.ImportPath)
				for _, l := range []*[]string{&p.Imports, &p.TestImports, &p.XTestImports} {
					var own []string
					for _, i := range *l {
						if r := rel(i); r != i {
							own = append(own, r)
						}
					}
					*l = own
				}
				listed[g] = append(listed[g], p)
			}
		}
	})
	if listErr != nil {
		t.Fatal(listErr)
	}
	return listed[goos]
}

// rel is path relative to the module, or path unchanged when outside it.
func rel(path string) string {
	if path == module {
		return "."
	}
	if r, ok := strings.CutPrefix(path, module+"/"); ok {
		return r
	}
	return path
}

// match reports whether path matches pattern, and how specific the match is.
func match(pattern, path string) (int, bool) {
	if base, ok := strings.CutSuffix(pattern, "/..."); ok {
		return len(base), path == base || strings.HasPrefix(path, base+"/")
	}
	return len(pattern) + 1, path == pattern
}

// roomOf is the room of a module-relative package path, "" when none.
func roomOf(path string) string {
	best, name := -1, ""
	for _, r := range rooms {
		for _, p := range r.patterns {
			if n, ok := match(p, path); ok && n > best {
				best, name = n, r.name
			}
		}
	}
	return name
}

// isTestHelper reports a package whose name says it serves tests
// (storetest, servertest): production code must not link it.
func isTestHelper(path string) bool {
	return strings.HasSuffix(filepath.Base(path), "test") && path != "internal/deptest"
}

// verdict is why the production import from → to breaks a rule, or "".
func verdict(from, to string) string {
	fr, tr := roomOf(from), roomOf(to)
	if fr == "" || tr == "" {
		return "a package in no room: add it to rooms and docs/architecture.md"
	}
	for _, r := range rules {
		if _, ok := match(r.from, from); !ok {
			continue
		}
		for _, d := range r.deny {
			if _, ok := match(d, to); ok {
				return r.why
			}
		}
	}
	if isTestHelper(to) && !isTestHelper(from) && fr != "test" {
		return "production code does not link test helpers (they import testing and start databases)"
	}
	for _, r := range rooms {
		if r.name == fr && to != from && tr != fr && !slices.Contains(r.may, tr) {
			return fmt.Sprintf("room %s may not import room %s (%s: %s)", fr, tr, fr, r.why)
		}
	}
	return ""
}

// testVerdict is why an import from a test file of from breaks a rule, or "".
func testVerdict(from, to string) string {
	switch fr := roomOf(from); {
	case roomOf(to) == "test" && fr != "test":
		return "only test/ imports test/ packages, also from test files (a unit test that needs a built daemon starts it with internal/daemontest)"
	case roomOf(to) == "command" && fr != "command":
		return "nothing imports cmd/ (tests start the daemon as a process)"
	}
	return ""
}

// violations are the broken rules of the module's packages for goos.
func violations(t *testing.T, goos string) map[edge]string {
	out := map[edge]string{}
	for _, p := range packages(t, goos) {
		if roomOf(p.ImportPath) == "" {
			out[edge{p.ImportPath, ""}] = "the package is in no room: add it to rooms (and docs/architecture.md)"
			continue
		}
		for _, imp := range p.Imports {
			if why := verdict(p.ImportPath, imp); why != "" {
				out[edge{p.ImportPath, imp}] = why
			}
		}
		for _, imp := range slices.Concat(p.TestImports, p.XTestImports) {
			if why := testVerdict(p.ImportPath, imp); why != "" {
				out[edge{p.ImportPath, imp}] = why
			}
		}
		for _, dep := range p.Deps {
			if why := linkVerdict(p.ImportPath, dep); why != "" {
				out[edge{p.ImportPath, dep}] = "links " + dep + ": " + why
			}
		}
	}
	return out
}

// linkVerdict is why package from must not depend on dep (a full import
// path), or "".
func linkVerdict(from, dep string) string {
	for _, r := range linkBans {
		if _, ok := match(r.from, from); !ok {
			continue
		}
		for _, d := range r.deny {
			if _, ok := match(d, dep); ok {
				return r.why
			}
		}
	}
	return ""
}

// TestImportDirection fails when an import breaks the layering of rooms or
// one of rules, unless it is a known violation with a branch removing it.
func TestImportDirection(t *testing.T) {
	if testing.Short() {
		t.Skip("lists every package of the module")
	}
	seen := map[edge]bool{}
	for _, goos := range goosList {
		v := violations(t, goos)
		keys := make([]edge, 0, len(v))
		for e := range v {
			keys = append(keys, e)
		}
		sort.Slice(keys, func(i, j int) bool { return keys[i].from+" "+keys[i].to < keys[j].from+" "+keys[j].to })
		for _, e := range keys {
			if _, ok := knownViolations[e]; ok {
				seen[e] = true
				continue
			}
			t.Errorf("GOOS=%s: %s imports %s: %s", goos, e.from, e.to, v[e])
		}
	}
	for e, reason := range knownViolations {
		if !seen[e] {
			t.Errorf("knownViolations has %s → %s (%s), which no package imports any more: delete the entry", e.from, e.to, reason)
		}
	}
}

// TestRulesCatch checks the checker: imports that break each kind of rule
// are reported, and allowed ones are not.
func TestRulesCatch(t *testing.T) {
	tests := []struct {
		from, to string
		bad      bool
	}{
		{"soap", "sessions", true},
		{"duplex/nmf", "sessions", true},
		{"duplex/security", "services", true},
		{"services", "store", true},
		{"services", "sessions", true},
		{"services", "duplex/nmf", true},
		{"store/convert", "services/progress", false},
		{"client", "services", true},
		{"internal/loadgen", "client", false},
		{"client", "duplex/nmf", false},
		{"internal/server", "cmd/ipamd", true},
		{"store", "store/storetest", true},
		{"test/e2e", "store/storetest", false},
		{"services", "duplex/security", false},
		{"sessions", "duplex/nmf", true},
		{"cmd/ipamd", "sessions", true},
		{"cmd/ipamd", "store", false},
		{"cmd/ipamd/internal/metrics", "sessions", false},
		{"nowhere", "soap", true},
	}
	for _, tt := range []struct {
		from, dep string
		bad       bool
	}{
		{"services", "database/sql", true},
		{"services", "github.com/jackc/pgx/v5/stdlib", true},
		{"store", "modernc.org/sqlite", false},
		{"sessions", "github.com/prometheus/client_golang/prometheus", true},
		{"duplex/nmf", "github.com/jcmturner/gokrb5/v8/service", true},
		{"duplex/security/krb5", "github.com/jcmturner/gokrb5/v8/service", false},
		{"client", "github.com/spf13/cobra", true},
		{"client", "go.uber.org/zap", false},
	} {
		if bad := linkVerdict(tt.from, tt.dep) != ""; bad != tt.bad {
			t.Errorf("%s links %s: reported %v, want %v", tt.from, tt.dep, bad, tt.bad)
		}
	}
	if why := testVerdict("services", "test/internal/peer"); why == "" {
		t.Error("a unit test importing a test/ harness is not reported")
	}
	if why := testVerdict("services", "cmd/ipamd"); why == "" {
		t.Error("a unit test importing cmd is not reported")
	}
	for _, tt := range tests {
		bad := verdict(tt.from, tt.to) != ""
		if bad != tt.bad {
			t.Errorf("%s → %s: reported %v, want %v", tt.from, tt.to, bad, tt.bad)
		}
	}
}
