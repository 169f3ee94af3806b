//go:build !windows

package main

import (
	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/config"
)

// platformFlags are the serve flags of this platform (none off Windows).
type platformFlags struct{}

func addPlatformServeFlags(*cobra.Command) *platformFlags { return &platformFlags{} }

// detect: off Windows, serve runs in the foreground with signals (and
// sd_notify when systemd started it).
func (*platformFlags) detect(*config.Config) (platformEnv, error) {
	return platformEnv{close: func() {}}, nil
}
