// Command gen writes deploy/systemd/ipamd.service: the unit rendered with
// the default options (go generate ./cmd/ipamd/internal/systemd).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ipamd/ipamd/cmd/ipamd/internal/systemd"
)

func main() {
	out := flag.String("o", "", "output file")
	flag.Parse()
	unit, err := systemd.Render(systemd.DefaultUnitOptions())
	if err == nil {
		err = os.WriteFile(*out, unit, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
