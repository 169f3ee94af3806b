package adm

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"testing"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// Every domain error, bare, wrapped with %w or made a case of with Define,
// maps to its row's id with its text; unknown errors to the fallback
// without their text; IpamExceptions pass through.
func TestException(t *testing.T) {
	const fallback = ipam.IpamApiUnabletoProvisionIpam
	tests := []struct {
		name    string
		err     error
		id      string
		message string // a part of the message the client sees
	}{
		{"nil", nil, "", ""},
		{"bare", ErrConversionNotRequired, ipam.IpamSchemaConversionNotRequired, "schema conversion not required"},
		{"wrapped", fmt.Errorf("store: wid:/x: %w", ErrAlreadyProvisioned), ipam.IpamApiErrorIpamAlreadyProvisioned, "wid:/x"},
		{"defined case", fmt.Errorf("%w: /x is a link", Define(ErrInvalidConfiguration, "path changed")),
			ipam.IpamApiErrorInvalidDatabaseConfiguration, "path changed: /x is a link"},
		{"classified", Or(errors.New("pq: relation missing"), ErrUnreachable), ipam.IpamApiErrorSQLServiceConfigurationFailed, "pq: relation missing"},
		{"gating", ErrNotConfigured, ipam.IpamApiCallsAreNotAllowedUntilProvisioningIsDone, "only IIpamAsyncProvision"},
		{"not settled", fmt.Errorf("still at 6.2.0.0: %w", ErrNotSettled), fallback, "6.2.0.0"},
		{"cancelled", fmt.Errorf("provisioning cancelled: %w", context.Canceled), fallback, "cancelled"},
		{"exception", fmt.Errorf("x: %w", ipam.NewException(ipam.IpamApiInvalidGpoPrefix, "too long")), ipam.IpamApiInvalidGpoPrefix, "too long"},
		{"unknown", errors.New("open /var/lib/secret: permission denied"), fallback, InternalErrorMessage},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			exc := Exception(tt.err, fallback)
			if tt.err == nil {
				if exc != nil {
					t.Fatalf("nil error gave %v", exc)
				}
				return
			}
			if exc.ExceptionID != tt.id || !strings.Contains(exc.Message, tt.message) {
				t.Fatalf("got %s %q, want %s containing %q", exc.ExceptionID, exc.Message, tt.id, tt.message)
			}
			if tt.id == fallback && tt.message == InternalErrorMessage && strings.Contains(exc.Message, "secret") {
				t.Fatalf("an unknown error's text reached the client: %q", exc.Message)
			}
			if Known(tt.err) != (tt.message != InternalErrorMessage) {
				t.Fatalf("Known = %v", Known(tt.err))
			}
		})
	}
	if got := Exception(errors.New("x"), "").ExceptionID; got != ipam.IpamApiGenericErrorOccurred {
		t.Errorf("empty fallback gave %s", got)
	}
}

// Every row of the table is reachable: no earlier row shadows it.
func TestExceptionTableRowsReachable(t *testing.T) {
	for _, row := range exceptionIDs {
		want := row.id
		if want == "" {
			want = "fallback"
		}
		if got := Exception(row.err, "fallback").ExceptionID; got != want {
			t.Errorf("%v maps to %s, want %s", row.err, got, want)
		}
	}
}

// Or keeps a known error as it is and gives an unknown one the kind, with
// its own text.
func TestOr(t *testing.T) {
	if Or(nil, ErrUnreachable) != nil {
		t.Error("Or(nil) is not nil")
	}
	known := fmt.Errorf("x: %w", ErrLeaseLost)
	if Or(known, ErrUnreachable) != known {
		t.Error("Or changed a known error")
	}
	raw := errors.New("dial tcp: refused")
	got := Or(raw, ErrUnreachable)
	if !errors.Is(got, ErrUnreachable) || !errors.Is(got, raw) || got.Error() != raw.Error() {
		t.Errorf("Or(raw) = %v", got)
	}
}

// The gating decisions of 3.1.4.2 steps 3–4, 3.11.4.7 step 1 and
// 3.15.4.7 steps 1 and 3, for every combination of the flags.
//
// Rules G2 and G3. (docs/protocol.md)
func TestGating(t *testing.T) {
	ports := []string{ipam.PortIIpamAsyncProvision, ipam.PortIIpamAsyncSchemaConversion, "IIpamEnumerator"}
	for bits := 0; bits < 16; bits++ {
		s := State{Configured: bits&1 != 0, ProvisioningInProgress: bits&2 != 0, ConversionRequired: bits&4 != 0, ConversionInProgress: bits&8 != 0}
		for _, p := range ports {
			var want error
			switch {
			case !s.Configured && p != ipam.PortIIpamAsyncProvision:
				want = ErrNotConfigured
			case s.Configured && s.ConversionRequired && p != ipam.PortIIpamAsyncSchemaConversion:
				want = ErrConversionPending
			}
			if got := s.Admit(p); got != want {
				t.Errorf("%+v Admit(%s) = %v, want %v", s, p, got, want)
			}
		}
		var wantP error
		switch {
		case s.ProvisioningInProgress:
			wantP = ErrProvisioningInProgress
		case s.Configured:
			wantP = ErrAlreadyProvisioned
		}
		if got := s.MayBeginProvisioning(); got != wantP {
			t.Errorf("%+v MayBeginProvisioning = %v, want %v", s, got, wantP)
		}
		var wantC error
		switch {
		case s.ConversionInProgress:
			wantC = ErrConversionInProgress
		case !s.Configured:
			wantC = ErrNotProvisioned
		case !s.ConversionRequired:
			wantC = ErrConversionNotRequired
		}
		if got := s.MayBeginConversion(); got != wantC {
			t.Errorf("%+v MayBeginConversion = %v, want %v", s, got, wantC)
		}
	}
}
