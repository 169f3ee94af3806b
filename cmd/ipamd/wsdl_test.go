package main

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/beevik/etree"

	"github.com/ipamd/ipamd/wsdl"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// servicePorts parses the WSDL and returns its service ports'
// soap12:address locations, in document order.
func servicePorts(t *testing.T, doc string) []string {
	t.Helper()
	d := etree.NewDocument()
	if err := d.ReadFromString(doc); err != nil {
		t.Fatalf("output does not parse as XML: %v\n%s", err, doc)
	}
	root := d.Root()
	if root == nil || root.Tag != "definitions" || root.NamespaceURI() != wsdl.NamespaceWSDL {
		t.Fatal("output is not a wsdl:definitions document")
	}
	var locs []string
	for _, port := range root.FindElements("./service/port") {
		for _, a := range port.ChildElements() {
			if a.Tag == "address" && a.NamespaceURI() == wsdl.NamespaceSOAP12 {
				locs = append(locs, a.SelectAttrValue("location", ""))
			}
		}
	}
	return locs
}

func TestWSDLCommand(t *testing.T) {
	hostname, err := os.Hostname()
	if err != nil || hostname == "" {
		hostname = "localhost"
	}
	cfgFile := filepath.Join(t.TempDir(), "ipamd.yaml")
	if err := os.WriteFile(cfgFile, []byte("listen:\n  - net.tcp://ipam.example.com:4000\nendpoints:\n  provision_path: /p\nsecurity:\n  insecure: true\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		args []string
		env  []string
		want []string
	}{
		{"flags",
			[]string{"--listen", "net.tcp://127.0.0.1:48999", "--endpoints-provision-path", "/x/Provision"}, nil,
			[]string{"net.tcp://127.0.0.1:48999/x/Provision", "net.tcp://127.0.0.1:48999/ipam/IIpamAsyncSchemaConversion", "net.tcp://127.0.0.1:48999/ipam/IIpamEnumerator"}},
		{"config file and environment",
			[]string{"--config", cfgFile}, []string{"IPAMD_ENDPOINTS_SCHEMA_CONVERSION_PATH=/c"},
			[]string{"net.tcp://ipam.example.com:4000/p", "net.tcp://ipam.example.com:4000/c", "net.tcp://ipam.example.com:4000/ipam/IIpamEnumerator"}},
		{"first listener of a transport; IPv6",
			[]string{"--listen", "net.tcp://[::1]:1,net.tcp://127.0.0.1:2"}, nil,
			[]string{"net.tcp://[::1]:1/ipam/IIpamAsyncProvision", "net.tcp://[::1]:1/ipam/IIpamAsyncSchemaConversion", "net.tcp://[::1]:1/ipam/IIpamEnumerator"}},
		{"wildcard host is the host name",
			[]string{"--listen", "net.tcp://0.0.0.0:48885", "--security-insecure"}, nil,
			[]string{"net.tcp://" + hostname + ":48885/ipam/IIpamAsyncProvision", "net.tcp://" + hostname + ":48885/ipam/IIpamAsyncSchemaConversion",
				"net.tcp://" + hostname + ":48885/ipam/IIpamEnumerator"}},
		{"address host",
			[]string{"--listen", "net.tcp://0.0.0.0:48885?security=tls", "--address-host", "ipam.corp.example",
				"--security-tls-certificate-file", "c.pem", "--security-tls-key-file", "k.pem"}, nil,
			[]string{"net.tcp://ipam.corp.example:48885/ipam/IIpamAsyncProvision", "net.tcp://ipam.corp.example:48885/ipam/IIpamAsyncSchemaConversion",
				"net.tcp://ipam.corp.example:48885/ipam/IIpamEnumerator"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			out, stderr, code := ipamd(t, append(tt.env, "IPAMD_STATE_DIR="+t.TempDir()), append([]string{"wsdl"}, tt.args...)...)
			if code != 0 {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if stderr != "" {
				t.Errorf("stderr: %s", stderr)
			}
			if got := servicePorts(t, out); !slices.Equal(got, tt.want) {
				t.Errorf("port addresses %q, want %q", got, tt.want)
			}
			// The output is the package's document with these endpoints.
			want, err := wsdl.ForPortEndpoints(map[string]map[string]string{ipam.PortIIpamAsyncProvision: {"net.tcp": tt.want[0]},
				ipam.PortIIpamAsyncSchemaConversion: {"net.tcp": tt.want[1]}, ipam.PortIIpamEnumerator: {"net.tcp": tt.want[2]}})
			if err != nil {
				t.Fatal(err)
			}
			if out != string(want) {
				t.Error("output differs from wsdl.ForEndpoints for the same endpoints")
			}
		})
	}
}

func TestWSDLCommandErrors(t *testing.T) {
	for _, tt := range []struct {
		args []string
		want string
	}{
		{[]string{"--listen", "tcp://127.0.0.1:1"}, `unsupported scheme "tcp"`},
		{[]string{"--address-host", "bad host"}, `invalid character " " in host name`},
		{[]string{"extra"}, "unknown command"},
	} {
		out, stderr, code := ipamd(t, []string{"IPAMD_STATE_DIR=" + t.TempDir()}, append([]string{"wsdl"}, tt.args...)...)
		if code != 2 || !strings.Contains(stderr, tt.want) {
			t.Errorf("ipamd wsdl %q: exit %d, stderr %q; want exit 2 and %q", tt.args, code, stderr, tt.want)
		}
		if out != "" {
			t.Errorf("ipamd wsdl %q printed to stdout:\n%s", tt.args, out)
		}
	}
}
