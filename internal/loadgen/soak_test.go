package loadgen

import (
	"errors"
	"testing"
	"time"
)

// A soak targets loopback only, the daemon and its admin listener alike,
// and stays within its bounds.
func TestSoakConfigValidate(t *testing.T) {
	ok := SoakConfig{Target: "net.tcp://127.0.0.1:8081/ipam/IIpamAsyncProvision", Admin: "127.0.0.1:9090"}
	for _, tc := range []struct {
		name string
		edit func(*SoakConfig)
		want error
	}{
		{"loopback", func(*SoakConfig) {}, nil},
		{"remote target", func(c *SoakConfig) { c.Target = "net.tcp://192.0.2.1:8081/x" }, ErrRemoteTarget},
		{"remote admin", func(c *SoakConfig) { c.Admin = "192.0.2.1:9090" }, ErrRemoteTarget},
		{"no admin", func(c *SoakConfig) { c.Admin = "" }, ErrConfig},
		{"too long", func(c *SoakConfig) { c.Duration = 2 * time.Hour }, ErrConfig},
		{"too many clients", func(c *SoakConfig) { c.Clients = 1000 }, ErrConfig},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := ok
			tc.edit(&c)
			err := c.Validate()
			if (tc.want == nil) != (err == nil) || (tc.want != nil && !errors.Is(err, tc.want)) {
				t.Errorf("Validate: %v, want %v", err, tc.want)
			}
		})
	}
}
