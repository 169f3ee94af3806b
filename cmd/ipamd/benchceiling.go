package main

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/internal/loadgen"
	"github.com/ipamd/ipamd/soap"
)

// The ceilings of `bench sessions` run, by default, in a child process of
// their own — `ipamd bench ceiling-server` — because ipamd is measured as a
// separate process too: a ceiling served inside the bench process would be
// spared the cross-process wake-ups and scheduling ipamd pays, and the
// ratio would flatter it.

// newBenchCeilingCmd is the hidden child: it serves one ceiling on a
// loopback port, prints "listening HOST:PORT" and serves until its stdin
// closes (the parent ended) or it is signalled.
func newBenchCeilingCmd(stdout io.Writer) *cobra.Command {
	var kind, encoding, path string
	cmd := &cobra.Command{
		Use:    "ceiling-server",
		Short:  "Serve one bench ceiling (canned or echo) until stdin closes (used by bench sessions)",
		Hidden: true,
		Args:   cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			enc, err := encodingFlag(encoding)
			if err != nil {
				return err
			}
			var addr string
			var closer io.Closer
			switch loadgen.Ceiling(kind) {
			case loadgen.CeilingCanned:
				c, err := loadgen.StartCanned(enc, path)
				if err != nil {
					return runtimeError(err)
				}
				u, _ := url.Parse(c.URI())
				addr, closer = u.Host, c
			case loadgen.CeilingEcho:
				e, err := loadgen.StartEcho()
				if err != nil {
					return runtimeError(err)
				}
				addr, closer = e.Addr(), e
			default:
				return fmt.Errorf("--kind %q: must be canned or echo", kind)
			}
			defer closer.Close()
			fmt.Fprintf(stdout, "listening %s\n", addr)
			done := make(chan struct{})
			go func() {
				_, _ = io.Copy(io.Discard, os.Stdin)
				close(done)
			}()
			ctx, stop := signal.NotifyContext(cmd.Context(), os.Interrupt, syscall.SIGTERM)
			defer stop()
			select {
			case <-done:
			case <-ctx.Done():
			}
			return nil
		},
	}
	fs := cmd.Flags()
	fs.StringVar(&kind, "kind", "canned", "canned or echo")
	fs.StringVar(&encoding, "encoding", "binary", "binary or text")
	fs.StringVar(&path, "path", "/ipam/IIpamAsyncProvision", "endpoint path the canned server answers at")
	return cmd
}

// encodingFlag reads an --encoding flag of the client and bench commands:
// binary (the binary session encoding WCF clients use) or text (SOAP 1.2).
func encodingFlag(name string) (soap.Encoding, error) {
	switch strings.ToLower(name) {
	case "binary":
		return soap.EncodingBinarySession, nil
	case "text":
		return soap.EncodingText, nil
	}
	return 0, fmt.Errorf("--encoding %q: must be binary or text", name)
}

// startCeilingProcess runs `ipamd bench ceiling-server` as a child and
// returns its address; stop closes its stdin and waits for it to exit.
func startCeilingProcess(ctx context.Context, c loadgen.Ceiling, enc soap.Encoding, path string) (string, int, func(), error) {
	exe, err := os.Executable()
	if err != nil {
		return "", 0, nil, err
	}
	cmd := exec.Command(exe, "bench", "ceiling-server", "--kind", string(c), "--encoding", loadgen.EncodingName(enc), "--path", path)
	cmd.Stderr = os.Stderr
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return "", 0, nil, err
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		return "", 0, nil, err
	}
	if err := cmd.Start(); err != nil {
		return "", 0, nil, err
	}
	stop := func() {
		_ = stdin.Close()
		waited := make(chan struct{})
		go func() { _ = cmd.Wait(); close(waited) }()
		select {
		case <-waited:
		case <-time.After(5 * time.Second):
			_ = cmd.Process.Kill()
			<-waited
		}
	}
	line := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(out)
		if sc.Scan() {
			line <- sc.Text()
		}
		close(line)
		_, _ = io.Copy(io.Discard, out)
	}()
	select {
	case l, ok := <-line:
		addr, found := strings.CutPrefix(l, "listening ")
		if !ok || !found {
			stop()
			return "", 0, nil, errors.New("the ceiling server did not start")
		}
		return addr, cmd.Process.Pid, stop, nil
	case <-time.After(10 * time.Second):
		stop()
		return "", 0, nil, errors.New("the ceiling server did not answer within 10s")
	case <-ctx.Done():
		stop()
		return "", 0, nil, ctx.Err()
	}
}
