package client

import (
	"context"
	"encoding/json"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

func refused(id string) error {
	return &RemoteError{Operation: "Initialize", Exception: ipam.NewException(id, "refused")}
}

func TestDeriveStatus(t *testing.T) {
	U, N, Y := Unknown, No, Yes
	netErr := errors.New("connection refused")
	tests := []struct {
		name                  string
		provision, conversion error
		c, r, p, v            Tri
		notes                 int
		summary               string
	}{
		{"not provisioned", nil, refused(ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone), N, N, U, N, 0, "not provisioned; whether provisioning"},
		{"conversion required", refused(ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone), nil, Y, Y, N, U, 0, "provisioned; schema conversion required; whether"},
		{"ready", nil, nil, Y, N, N, N, 0, "provisioned and ready"},
		{"provisioning running (Start-style answer)", refused(ipam.IpamApiProvisioningAlreadyInProgress),
			refused(ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone), N, N, Y, N, 0, "not provisioned; provisioning in progress"},
		{"already provisioned, not required", refused(ipam.IpamApiErrorIpamAlreadyProvisioned), refused(ipam.IpamSchemaConversionNotRequired), Y, N, N, N, 0, "provisioned and ready"},
		{"conversion running", refused(ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone),
			refused(ipam.IpamSchemaConversionAnotherOperationInProgress), Y, Y, N, Y, 0, "conversion in progress"},
		{"only the conversion port answers", netErr, nil, Y, U, N, U, 1, "whether a schema conversion is required is unknown"},
		{"only the provision port answers, accepted", nil, netErr, U, U, U, U, 1, "unknown"},
		{"nobody answers", netErr, netErr, U, U, U, U, 2, "unknown"},
		{"access denied says nothing", refused(ipam.IpamApiAccessDenied), refused(ipam.IpamApiAccessDenied), U, U, U, U, 2, "unknown"},
		{"contradiction", refused(ipam.IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone),
			refused(ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone), U, Y, U, U, 1, "unknown"},
		{"a Start-only id on the wrong port says nothing", refused(ipam.IpamSchemaConversionNotRequired), nil, Y, U, N, U, 1, "provisioned; whether"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			st := DeriveStatus(tt.provision, tt.conversion)
			got := [4]Tri{st.Configured, st.ConversionRequired, st.ProvisioningInProgress, st.ConversionInProgress}
			if got != [4]Tri{tt.c, tt.r, tt.p, tt.v} {
				t.Errorf("configured/required/provisioning/converting = %v, want %v", got, [4]Tri{tt.c, tt.r, tt.p, tt.v})
			}
			if len(st.Notes) != tt.notes {
				t.Errorf("notes %q, want %d", st.Notes, tt.notes)
			}
			if !strings.Contains(st.Summary(), tt.summary) {
				t.Errorf("summary %q lacks %q", st.Summary(), tt.summary)
			}
		})
	}
}

func TestStatusJSON(t *testing.T) {
	b, err := json.Marshal(Status{Configured: Yes, ConversionRequired: No})
	if err != nil {
		t.Fatal(err)
	}
	want := `{"configured":true,"conversion_required":false,"provisioning_in_progress":null,"conversion_in_progress":null}`
	if string(b) != want {
		t.Fatalf("%s\nwant %s", b, want)
	}
}

// TestProbeAgainstServer probes real servers in each state, and checks that
// probing starts no work.
func TestProbeAgainstServer(t *testing.T) {
	tests := []struct {
		name    string
		cfg     serverConfig
		summary string
	}{
		{"unprovisioned", serverConfig{}, "not provisioned"},
		{"conversion required", serverConfig{conversionRequired: true}, "provisioned; schema conversion required"},
		{"ready", serverConfig{configured: true}, "provisioned and ready"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := startServer(t, tt.cfg)
			before := srv.adm.State()
			c := &Client{}
			ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
			defer cancel()
			probe := func(uri string, pt PortType) error {
				conn, err := c.Dial(ctx, uri)
				if err != nil {
					return err
				}
				return c.Probe(ctx, conn, pt)
			}
			st := DeriveStatus(probe(srv.provisionURI, Provisioning), probe(srv.conversionURI, SchemaConversion))
			if !strings.HasPrefix(st.Summary(), tt.summary) || len(st.Notes) != 0 {
				t.Errorf("status %+v: %s", st, st.Summary())
			}
			if after := srv.adm.State(); after != before {
				t.Errorf("probing changed the server: %+v → %+v", before, after)
			}
		})
	}
}
