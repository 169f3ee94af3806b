// Command gendocs writes docs/configuration.md and
// deploy/ipamd.example.yaml from the settings table (run by go generate in
// config/).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ipamd/ipamd/config"
)

func main() {
	md := flag.String("markdown", "", "write the configuration reference (Markdown) to this file")
	ex := flag.String("example", "", "write the example YAML configuration to this file")
	flag.Parse()
	for _, out := range []struct {
		path string
		data []byte
	}{{*md, config.RenderMarkdown()}, {*ex, config.RenderExampleYAML()}} {
		if out.path == "" {
			continue
		}
		if err := os.WriteFile(out.path, out.data, 0o644); err != nil {
			fmt.Fprintln(os.Stderr, "gendocs:", err)
			os.Exit(1)
		}
	}
}
