package main

import (
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/internal/server/servertest"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// serveDaemon runs the server `ipamd serve` runs (in this process,
// through servertest) on a loopback port until the test ends and returns
// its base URI (net.tcp://127.0.0.1:PORT); the client commands run as the
// built binary against it.
func serveDaemon(t *testing.T, opts ...servertest.Option) string {
	t.Helper()
	s := servertest.Start(t, append([]servertest.Option{
		servertest.Set("listen", "net.tcp://127.0.0.1:0"),
		servertest.Set("admin.listen", ""),
		servertest.Set("session.checkpoint_interval", "50ms"),
	}, opts...)...)
	return "net.tcp://" + s.NetTCP
}

// report is the JSON both provision and convert print.
type report struct {
	Operation, Server, Encoding, Outcome, Stage, Error string
	FramingFault                                       string `json:"framing_fault"`
	Exception                                          *struct{ ID, Message string }
	Checkpoints                                        int
	DurationsMS                                        map[string]float64 `json:"durations_ms"`
}

func runJSON(t *testing.T, args ...string) (report, string, int) {
	t.Helper()
	out, stderr, code := ipamd(t, nil, append(args, "--output", "json")...)
	var r report
	if err := json.Unmarshal([]byte(out), &r); err != nil {
		t.Fatalf("ipamd %q: stdout is not one JSON object (%v):\n%s\nstderr:\n%s", args, err, out, stderr)
	}
	if strings.Count(strings.TrimSpace(out), "\n") != 0 {
		t.Errorf("more than one line on stdout:\n%s", out)
	}
	return r, stderr, code
}

// TestProvisionAndConvertCommands runs the built binary against a running
// `ipamd serve`: a provisioning that succeeds with checkpoints, then the
// refusals a provisioned server gives, and status in between.
func TestProvisionAndConvertCommands(t *testing.T) {
	base := serveDaemon(t, servertest.Set("dev.work_duration", "400ms"))
	provision := base + "/ipam/IIpamAsyncProvision"

	r, stderr, code := runJSON(t, "provision", "--server", provision, "--gpo-prefix", "IPAM", "--provisioning-method", "automatic",
		"--database-type", "WindowsInternalDatabase")
	if code != 0 || r.Outcome != "success" || r.Operation != "provision" || r.Checkpoints < 2 || r.Exception != nil ||
		r.DurationsMS["work"] < 400 || r.DurationsMS["total"] < r.DurationsMS["work"] || r.Encoding != "binary" {
		t.Fatalf("first provision: exit %d, %+v\nstderr: %s", code, r, stderr)
	}

	r, _, code = runJSON(t, "provision", "--server", base, "--encoding", "text")
	if code != exitRemote || r.Outcome != "exception" || r.Stage != "complete" || r.Exception == nil ||
		r.Exception.ID != ipam.IpamApiErrorIpamAlreadyProvisioned || r.Exception.Message == "" || r.Server != provision {
		t.Fatalf("second provision: exit %d, %+v", code, r)
	}

	out, _, code := ipamd(t, nil, "provision", "--server", provision)
	lines := strings.Split(strings.TrimSpace(out), "\n")
	if code != exitRemote || !strings.HasPrefix(lines[len(lines)-1], "provisioning failed: IpamApiErrorIpamAlreadyProvisioned: ") {
		t.Fatalf("text output: exit %d, %q", code, out)
	}

	out, stderr, code = ipamd(t, nil, "status", "--server", base, "--output", "json")
	var st struct {
		Status  map[string]*bool
		Summary string
		Probes  []struct{ PortType, Outcome string } `json:"probes"`
	}
	if err := json.Unmarshal([]byte(out), &st); err != nil || code != 0 {
		t.Fatalf("status: exit %d, %v\n%s%s", code, err, out, stderr)
	}
	if c := st.Status["configured"]; c == nil || !*c || st.Status["conversion_required"] == nil || *st.Status["conversion_required"] ||
		len(st.Probes) != 2 || st.Probes[0].Outcome != "accepted" || st.Probes[1].Outcome != "accepted" {
		t.Fatalf("status of a provisioned server: %s", out)
	}

	r, _, code = runJSON(t, "convert", "--server", base)
	if code != exitRemote || r.Exception == nil || r.Exception.ID != ipam.IpamSchemaConversionNotRequired {
		t.Fatalf("convert on a current store: exit %d, %+v", code, r)
	}
}

// TestConvertCommandWithProgress converts a store that needs it, with the
// progress bar forced on (stderr is a pipe here, so auto would hide it).
func TestConvertCommandWithProgress(t *testing.T) {
	base := serveDaemon(t, servertest.Set("dev.require_conversion", "true"), servertest.Set("dev.work_duration", "300ms"))

	out, _, code := ipamd(t, nil, "status", "--server", base)
	if code != 0 || !strings.Contains(out, "status: provisioned; schema conversion required") {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	r, _, code := runJSON(t, "provision", "--server", base)
	if code != exitRemote || r.Stage != "initialize" || r.Exception == nil ||
		r.Exception.ID != ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone {
		t.Fatalf("provision before conversion: exit %d, %+v", code, r)
	}

	out, stderr, code := ipamd(t, nil, "convert", "--server", base, "--progress", "always", "--encoding", "text")
	if code != 0 || !strings.HasPrefix(out, "schema conversion succeeded (") {
		t.Fatalf("convert: exit %d, %q\nstderr: %s", code, out, stderr)
	}
	if !strings.Contains(stderr, "schema conversion: running, 2 checkpoints") {
		t.Errorf("no live progress on stderr: %q", stderr)
	}
	_, stderr, code = ipamd(t, nil, "convert", "--server", base, "--progress", "never")
	if code != exitRemote || stderr != "" {
		t.Errorf("convert again: exit %d, stderr %q", code, stderr)
	}
	out, _, _ = ipamd(t, nil, "status", "--server", base)
	if !strings.Contains(out, "status: provisioned and ready") {
		t.Errorf("status after conversion:\n%s", out)
	}
}

// TestClientCommandFailures: no server, a wrong endpoint path, and usage
// errors, with their exit codes.
func TestClientCommandFailures(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	closed := "net.tcp://" + ln.Addr().String()
	ln.Close()

	r, stderr, code := runJSON(t, "provision", "--server", closed)
	if code != exitRuntime || r.Outcome != "error" || r.Stage != "connect" || !strings.Contains(r.Error, "refused") ||
		!strings.Contains(stderr, "ipamd: provision: ") {
		t.Fatalf("no server: exit %d, %+v, stderr %q", code, r, stderr)
	}

	base := serveDaemon(t)
	r, _, code = runJSON(t, "convert", "--server", base+"/ipam/Wrong")
	if code != exitRuntime || r.FramingFault != "http://schemas.microsoft.com/ws/2006/05/framing/faults/EndpointNotFound" ||
		!strings.Contains(r.Error, "check --server") {
		t.Fatalf("wrong path: exit %d, %+v", code, r)
	}
	out, stderr, code := ipamd(t, nil, "status", "--server", base, "--schema-conversion-path", "/nope")
	if code != exitRuntime || !strings.Contains(out, "IIpamAsyncSchemaConversion:  no answer") || !strings.Contains(stderr, "EndpointNotFound") {
		t.Fatalf("status with a wrong path: exit %d\n%s%s", code, out, stderr)
	}

	usage := []struct {
		args []string
		want string
	}{
		{[]string{"provision"}, `required flag(s) "server" not set`},
		{[]string{"provision", "--server", "http://h:1/x"}, "must be a net.tcp://"},
		{[]string{"provision", "--server", base, "--encoding", "mtom"}, "--encoding"},
		{[]string{"provision", "--server", base, "--provisioning-method", "Sometimes"}, "must be one of None, Automatic, Manual"},
		{[]string{"provision", "--server", base, "--database-type", "Oracle"}, "--database-type"},
		{[]string{"provision", "--server", base, "--database-password-file", filepath.Join(t.TempDir(), "missing")}, "--database-password-file"},
		{[]string{"convert", "--server", base, "--output", "yaml"}, "--output"},
		{[]string{"convert", "--server", base, "--keepalive-interval", "0s"}, "--keepalive-interval"},
		{[]string{"status", "--server", base + "/other"}, "base URI"},
		{[]string{"status", "--server", base, "extra"}, "unknown command"},
	}
	for _, u := range usage {
		_, stderr, code := ipamd(t, nil, u.args...)
		if code != exitUsage || !strings.Contains(stderr, u.want) {
			t.Errorf("ipamd %q: exit %d, stderr %q; want 2 and %q", u.args, code, stderr, u.want)
		}
	}
}

// TestProvisionFlagsToSetting: every IpamProvisioningSetting and
// IpamDatabaseConfiguration member comes from its flag; members whose flag
// is absent are omitted.
func TestProvisionFlagsToSetting(t *testing.T) {
	pw := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pw, []byte("s3cret\r\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	str := func(s string) *string { return &s }
	tests := []struct {
		name  string
		args  []string
		stdin string
		want  *ipam.IpamProvisioningSetting
	}{
		{"nothing", nil, "", &ipam.IpamProvisioningSetting{}},
		{"setting members", []string{"--create-new-schema", "--gpo-prefix", "", "--provisioning-method", "MANUAL"}, "",
			&ipam.IpamProvisioningSetting{CreateNewSchema: true, GpoPrefix: str(""), ProvisioningMethod: ipam.ProvisioningMethodManual}},
		{"every database member", []string{"--database-type", "mssqlserver", "--database-authentication-type", "SQLAuthentication",
			"--database-server", "db1", "--database-name", "ipam", "--database-path", `C:\data`, "--database-port", "1433",
			"--database-user", "sa", "--database-password-file", pw}, "",
			&ipam.IpamProvisioningSetting{DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{
				DatabaseType: ipam.IpamDatabaseTypeMSSQLServer, DatabaseAuthenticationType: ipam.IpamDatabaseAuthenticationTypeSQLAuthentication,
				DatabaseServerNameOrIP: str("db1"), DatabaseName: str("ipam"), DatabasePath: str(`C:\data`), DatabasePort: 1433,
				DatabaseCredential: &ipam.IpamCredential{UserName: str("sa"), Password: []byte("s3cret")},
			}}},
		{"password from stdin", []string{"--database-password-file", "-"}, "pw\n",
			&ipam.IpamProvisioningSetting{DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{
				DatabaseCredential: &ipam.IpamCredential{Password: []byte("pw")}}}},
		{"one database flag", []string{"--database-port", "5"}, "",
			&ipam.IpamProvisioningSetting{DatabaseConfiguration: &ipam.IpamDatabaseConfiguration{DatabasePort: 5}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var pf provisionFlags
			cmd := &cobra.Command{Use: "x"}
			pf.bind(cmd)
			if err := cmd.Flags().Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			got, err := pf.setting(cmd, strings.NewReader(tt.stdin))
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Fatalf("setting\n got %#v\nwant %#v", got, tt.want)
			}
		})
	}
}

func TestEndpointURI(t *testing.T) {
	tests := []struct{ in, want string }{
		{"net.tcp://h:48885", "net.tcp://h:48885/p"},
		{"net.tcp://h:48885/", "net.tcp://h:48885/p"},
		{"net.tcp://h:48885/custom/path", "net.tcp://h:48885/custom/path"},
		{"net.tcp://h", "net.tcp://h/p"},
		{"http://h:1/x", ""},
		{"h:48885", ""},
		{"net.tcp://h:0/x", ""},
	}
	for _, tt := range tests {
		got, err := endpointURI(tt.in, "/p")
		if (err != nil) != (tt.want == "") || got != tt.want {
			t.Errorf("endpointURI(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}
