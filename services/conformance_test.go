package services_test

import (
	"testing"

	"github.com/ipamd/ipamd/services"
	"github.com/ipamd/ipamd/services/servicestest"
)

// TestMemoryConformance holds the in-memory stand-in to the same rules as
// the real data store (store.TestManagerConformance), so the dev settings
// cannot simulate a server that behaves otherwise.
//
// Rules G2, G3, P7, P8, P10, C5, C6, C9 and C10. (docs/protocol.md)
func TestMemoryConformance(t *testing.T) {
	servicestest.Run(t, func(t *testing.T, start servicestest.Start) servicestest.Subject {
		return servicestest.Subject{Store: services.NewMemory(start != servicestest.Fresh, start == servicestest.NeedsConversion)}
	})
}
