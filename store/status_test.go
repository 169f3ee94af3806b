package store

import (
	"testing"

	"github.com/ipamd/ipamd/store/schema"
	"github.com/ipamd/ipamd/store/storetest"
)

// fullStatus is Status without the quick path: the catalog-based check.
func fullStatus(t *testing.T, s *Store) Status {
	t.Helper()
	st, _, err := s.status(testCtx(t), s.db)
	if err != nil {
		t.Fatal(err)
	}
	if st.ConversionInProgress, err = s.leaseHeld(testCtx(t), s.db, leaseConversion); err != nil {
		t.Fatal(err)
	}
	return st
}

// TestQuickStatusAgreesWithTheCatalog: through every state a store passes —
// empty, provisioned (with and without the lease table), needing
// conversion, converting, a group removed — Status answers what the full
// catalog check answers, and takes the one-query path exactly when the store
// is provisioned and the lease table exists.
func TestQuickStatusAgreesWithTheCatalog(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		ctx := testCtx(t)
		s := openStore(t, newConfig(t, e), Options{})
		check := func(step string, wantQuick bool, want Status) {
			t.Helper()
			_, quick := s.quickStatus(ctx)
			got, err := s.Status(ctx)
			if err != nil {
				t.Fatalf("%s: Status: %v", step, err)
			}
			if full := fullStatus(t, s); got != full || got != want {
				t.Errorf("%s: Status %+v, catalog %+v, want %+v", step, got, full, want)
			}
			if quick != wantQuick {
				t.Errorf("%s: quick path taken = %v, want %v", step, quick, wantQuick)
			}
		}
		check("empty", false, Status{})
		if _, err := s.Provision(ctx, ProvisionParams{CreateNewSchema: true}); err != nil {
			t.Fatal(err)
		}
		provisioned := Status{Provisioned: true, Version: schema.V2Version}
		check("provisioned", true, provisioned)
		if _, err := s.db.ExecContext(ctx, `DROP TABLE "`+leaseTable+`"`); err != nil {
			t.Fatal(err)
		}
		check("provisioned by an older ipamd, without the lease table", false, provisioned)
		if err := s.ensureLeaseTable(ctx); err != nil {
			t.Fatal(err)
		}
		if _, err := s.db.ExecContext(ctx, `UPDATE "ADM_CommonProperties" SET "Value" = '6.2.0.0' WHERE "Name" = 'DatabaseSchemaVersion'`); err != nil {
			t.Fatal(err)
		}
		check("needs conversion", true, Status{Provisioned: true, Version: "6.2.0.0"})
		l, err := s.TryBeginConversion(ctx, "test")
		if err != nil {
			t.Fatal(err)
		}
		check("converting", true, Status{Provisioned: true, Version: "6.2.0.0", ConversionInProgress: true})
		if err := l.End(ctx, false); err != nil {
			t.Fatal(err)
		}
		check("conversion ended", true, Status{Provisioned: true, Version: "6.2.0.0"})
		if _, err := s.db.ExecContext(ctx, `UPDATE "ADM_CommonProperties" SET "Value" = '' WHERE "Name" = 'IpamSecurityGroupIpamUsers'`); err != nil {
			t.Fatal(err)
		}
		check("a security group unset", false, Status{})
	})
}
