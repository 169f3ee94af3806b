package convert_test

import (
	"fmt"
	"testing"

	"github.com/ipamd/ipamd/services/adm"
	"github.com/ipamd/ipamd/store/convert"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The conversion's errors are domain errors: the one IpamException table
// (services/adm) gives each its id, wrapped or not, with no mapping of
// its own in the daemon.
func TestErrorsAreDomainErrors(t *testing.T) {
	tests := []struct {
		err error
		id  string
	}{
		{convert.ErrNotRequired, ipam.IpamSchemaConversionNotRequired},
		{convert.ErrNotProvisioned, ipam.IpamErrorIPAMNotProvisioned},
		{&convert.VersionError{From: "99.0.0.0", To: "7.0.0.0", Newer: true}, ipam.IpamApiErrorDatabaseIsAtHigherVersion},
		{&convert.VersionError{From: "5.0.0.0", To: "7.0.0.0"}, ipam.IpamSchemaConversionCouldNotBeDoneForThisVersion},
	}
	for _, tt := range tests {
		for _, err := range []error{tt.err, fmt.Errorf("converting: %w", tt.err)} {
			if exc := adm.Exception(err, ipam.IpamSchemaConversionFailed); exc.ExceptionID != tt.id || exc.Message != err.Error() {
				t.Errorf("%v: got %s %q, want %s with the error's text", err, exc.ExceptionID, exc.Message, tt.id)
			}
		}
	}
}
