package store

import (
	"testing"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/services/servicestest"
	"github.com/ipamd/ipamd/store/storetest"
)

// The Manager is a services.Store itself: no adapter stands between them.
var _ services.Store = (*Manager)(nil)

// TestManagerConformance holds the real data store, on each engine, to the
// rules every services.Store follows (services/servicestest), the same the
// in-memory stand-in is held to (services.TestMemoryConformance).
//
// Rules G2, G3, P7, P8, P10, C5, C6, C9 and C10. (docs/protocol.md)
func TestManagerConformance(t *testing.T) {
	forEngines(t, func(t *testing.T, e storetest.Engine) {
		servicestest.Run(t, func(t *testing.T, start servicestest.Start) servicestest.Subject {
			cfg := newConfig(t, e)
			state := t.TempDir()
			opts := managerOpts(t, state, cfg)
			opts.Converter = &fakeConverter{}
			switch start {
			case servicestest.Provisioned:
				if _, err := openStore(t, cfg, Options{}).Provision(testCtx(t), ProvisionParams{CreateNewSchema: true}); err != nil {
					t.Fatal(err)
				}
			case servicestest.NeedsConversion:
				needConversion(t, openStore(t, cfg, Options{}))
			}
			if start != servicestest.Fresh {
				if err := SaveActive(state, cfg, true); err != nil {
					t.Fatal(err)
				}
			}
			return servicestest.Subject{Store: newManager(t, opts), Setting: settingFor(cfg)}
		})
	})
}
