// Command gen writes ipamd's Postman collection (go generate ./test/postman).
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/ipamd/ipamd/test/postman"
)

func main() {
	out := flag.String("o", "", "output file")
	flag.Parse()
	b, err := postman.Build()
	if err == nil {
		err = os.WriteFile(*out, b, 0o644)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
