// Command ipamd serves Microsoft's IPAM management protocol (MS-IPAMM2:
// IIpamAsyncProvision and IIpamAsyncSchemaConversion) over WCF net.tcp.
//
// Exit codes: 0 success (for serve: an orderly stop, drained or with the
// work cancelled at shutdown.drain_timeout), 1 runtime error, 2 usage or
// configuration error, 3 — for serve: forced exit (a second SIGTERM/SIGINT
// during the drain); for provision and convert: the server answered with an
// IpamException.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/ipamd/ipamd/config"
)

// Exit codes.
const (
	exitOK      = 0
	exitRuntime = 1
	exitUsage   = 2
	exitForced  = 3
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// run executes the command line and returns the process exit code.
func run(args []string, stdout, stderr io.Writer) int {
	root := newRootCmd(stdout, stderr)
	root.SetArgs(args)
	cmd, err := root.ExecuteC()
	if err == nil {
		return exitOK
	}
	code := exitUsage
	var ee *exitError
	if errors.As(err, &ee) {
		code = ee.code
		if ee.logged {
			return code
		}
	}
	for _, line := range strings.Split(err.Error(), "\n") {
		fmt.Fprintln(stderr, "ipamd:", line)
	}
	var ce *config.Error
	if code == exitUsage && !errors.As(err, &ce) && cmd != nil {
		fmt.Fprintf(stderr, "Run '%s --help' for usage.\n", cmd.CommandPath())
	}
	return code
}

// exitError carries an exit code other than exitUsage (the code for any
// error that is not an exitError: flags, arguments, configuration).
type exitError struct {
	code   int
	err    error
	logged bool // already reported through the logger
}

func (e *exitError) Error() string { return e.err.Error() }
func (e *exitError) Unwrap() error { return e.err }

// runtimeError marks err as a runtime failure (exit code 1).
func runtimeError(err error) error { return &exitError{code: exitRuntime, err: err} }
