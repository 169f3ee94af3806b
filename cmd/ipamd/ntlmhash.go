package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/duplex/security/ntlm"
)

// newNTLMHashCmd prints an account-file line for
// security.negotiate.ntlm_accounts_file. The password comes from stdin, not
// an argument, so it does not end up in shell history or ps output.
func newNTLMHashCmd(stdout io.Writer) *cobra.Command {
	return &cobra.Command{
		Use:   `ntlm-hash 'DOMAIN\user'`,
		Short: "Print an NTLM account line (DOMAIN\\user:NTHASH) for a password read from stdin",
		Long: `Reads one password line from stdin and prints the line to add to the file named by
security.negotiate.ntlm_accounts_file, e.g.

    printf '%s\n' 'Bob-Pass-1234' | ipamd ntlm-hash 'IPAM\bob' >> /etc/ipamd/ntlm-accounts

DOMAIN is the NetBIOS domain the client sends (for a local Windows account: the
client's computer name, or the domain the client was configured with).`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			domain, user, ok := strings.Cut(args[0], `\`)
			if !ok || domain == "" || user == "" || strings.ContainsAny(args[0], ":\n") {
				return errors.New(`account must be DOMAIN\user`)
			}
			line, err := bufio.NewReader(io.LimitReader(cmd.InOrStdin(), 1024)).ReadString('\n')
			if err != nil && !errors.Is(err, io.EOF) {
				return runtimeError(fmt.Errorf("read password: %w", err))
			}
			password := strings.TrimRight(line, "\r\n")
			if password == "" {
				return errors.New("empty password on stdin")
			}
			_, err = fmt.Fprintln(stdout, ntlm.AccountLine(domain, user, password))
			return err
		},
	}
}
