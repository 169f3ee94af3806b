package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
)

func newStatusCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "status --server URI [flags]",
		Short: "Ask an IPAM server whether it is provisioned, needs a schema conversion, or runs one",
		Long: `Ask an IPAM server over net.tcp for its state: provisioned (ADM_IsIPAMConfigured), schema
conversion required, provisioning or conversion in progress.

Neither port type has an operation that reports this, so it is derived from the gating every
operation goes through (MS-IPAMM2 3.1.4.2): status opens one session on each endpoint, sends
only Initialize… (InitializeAsyncProvisioning with an empty setting,
InitializeAsyncSchemaConversion), and ends the session without Start…, so no work is started.

  IIpamAsyncProvision accepts                → not (provisioned and conversion required)
  …refused: IpamApiCallsAreNotAllowedUntilSchemaConversionIsDone
                                             → provisioned, conversion required
  IIpamAsyncSchemaConversion accepts         → provisioned
  …refused: IpamApiCallsAreNotAllowedUntilProvisioningIsDone
                                             → not provisioned

(IpamApiErrorIpamAlreadyProvisioned, IpamApiProvisioningAlreadyInProgress,
IpamSchemaConversionNotRequired and IpamSchemaConversionAnotherOperationInProgress are read too,
for servers that answer Initialize… with them.) Whether work is running is known only where the
protocol implies it: a provisioned server with a current store runs nothing. Otherwise it is
reported as unknown, because only a Start… would tell, and a Start… starts the work when none
runs.

--server is the server's base URI; the endpoint paths are --provision-path and
--schema-conversion-path (an endpoint URI of either port type is accepted too).

Exit codes: 0 both endpoints answered, 1 an endpoint could not be asked (connection, framing
fault, protocol error, timeout), 2 usage error.`,
		Example: `  ipamd status --server net.tcp://ipam1:48885
  ipamd status --server net.tcp://127.0.0.1:48885 --output json`,
		Args: cobra.NoArgs,
	}
	var cf clientFlags
	cf.bind(cmd, "base `URI` of the server, e.g. net.tcp://host:48885", false)
	provisionPath, conversionPath := defaultPaths()
	cmd.Flags().StringVar(&provisionPath, "provision-path", provisionPath, "`PATH` of the IIpamAsyncProvision endpoint")
	cmd.Flags().StringVar(&conversionPath, "schema-conversion-path", conversionPath, "`PATH` of the IIpamAsyncSchemaConversion endpoint")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := cf.check(); err != nil {
			return err
		}
		base, err := statusBase(cf.server, provisionPath, conversionPath)
		if err != nil {
			return err
		}
		ctx, cancel := cf.context(cmd.Context())
		defer cancel()
		c := cf.client()
		rep := statusReport{Server: base}
		var errs [2]error
		for i, p := range []struct {
			pt   client.PortType
			path string
		}{{client.Provisioning, provisionPath}, {client.SchemaConversion, conversionPath}} {
			uri := base + p.path
			errs[i] = probe(ctx, c, uri, p.pt)
			rep.Probes = append(rep.Probes, probeReport(p.pt, uri, errs[i], cf.encoding))
		}
		st := client.DeriveStatus(errs[0], errs[1])
		rep.Status, rep.Summary = st, st.Summary()
		if cf.output == outputJSON {
			if err := json.NewEncoder(stdout).Encode(rep); err != nil {
				return runtimeError(err)
			}
		} else {
			printStatus(stdout, &rep)
		}
		if err := probeFailures(rep.Probes); err != nil {
			if ctx.Err() != nil {
				err = interrupted(ctx, cf.timeout, err)
			}
			return runtimeError(err)
		}
		return nil
	}
	return cmd
}

// statusBase returns scheme://host:port of --server, which may also be
// either endpoint's URI.
func statusBase(server string, paths ...string) (string, error) {
	u, err := url.Parse(server)
	if err != nil || u.Scheme != "net.tcp" || u.Host == "" || u.RawQuery != "" || u.Fragment != "" {
		return "", fmt.Errorf("--server %q: must be a net.tcp://host:port URI", server)
	}
	path := strings.TrimSuffix(u.Path, "/")
	if path != "" {
		known := false
		for _, p := range paths {
			known = known || strings.EqualFold(path, strings.TrimSuffix(p, "/"))
		}
		if !known {
			return "", fmt.Errorf("--server %q: give the server's base URI (net.tcp://host:port) or one of its endpoints (%s)",
				server, strings.Join(paths, ", "))
		}
	}
	base := u.Scheme + "://" + u.Host
	if _, err := nmf.ViaAddr(base); err != nil {
		return "", fmt.Errorf("--server %q: %w", server, err)
	}
	return base, nil
}

// failedProbeNote reports whether note only repeats a failed probe's error
// (client.DeriveStatus notes "<port>: no answer: <error>").
func failedProbeNote(probes []probeJSON, note string) bool {
	for _, p := range probes {
		if p.Outcome == "error" && strings.HasPrefix(note, p.PortType+": no answer:") {
			return true
		}
	}
	return false
}

func probe(ctx context.Context, c *client.Client, uri string, pt client.PortType) error {
	conn, err := c.Dial(ctx, uri)
	if err != nil {
		return err
	}
	return c.Probe(ctx, conn, pt)
}

// statusReport is the --output json object of status.
type statusReport struct {
	Server  string        `json:"server"`
	Status  client.Status `json:"status"`
	Summary string        `json:"summary"`
	Probes  []probeJSON   `json:"probes"`
}

// probeJSON is one endpoint's answer to Initialize….
type probeJSON struct {
	PortType string `json:"port_type"`
	Endpoint string `json:"endpoint"`
	// Outcome is accepted, refused (an IpamException) or error.
	Outcome      string         `json:"outcome"`
	Exception    *exceptionJSON `json:"exception,omitempty"`
	FramingFault string         `json:"framing_fault,omitempty"`
	Error        string         `json:"error,omitempty"`
}

func probeReport(pt client.PortType, uri string, err error, encoding string) probeJSON {
	p := probeJSON{PortType: pt.String(), Endpoint: uri, Outcome: "accepted"}
	var re *client.RemoteError
	var fe *nmf.FaultError
	switch {
	case err == nil:
	case errors.As(err, &re):
		p.Outcome = "refused"
		p.Exception = exceptionReport(re.Exception)
		if re.Exception == nil {
			p.Exception = &exceptionJSON{Message: re.Error()}
		}
	default:
		p.Outcome, p.Error = "error", err.Error()
		if errors.As(err, &fe) {
			p.FramingFault = fe.URI
			if hint := faultHint(fe.URI, encoding); hint != "" {
				p.Error += " (" + hint + ")"
			}
		} else if hint := dialHint(err); hint != "" {
			p.Error += " (" + hint + ")"
		}
	}
	return p
}

// probeFailures is the error of the probes that got no answer: one line
// per distinct failure, so a server that is down (both probes fail alike)
// is said once, not once per endpoint. nil when every probe was answered.
func probeFailures(probes []probeJSON) error {
	var lines []string
	var ports [][]string
	for _, p := range probes {
		if p.Outcome != "error" {
			continue
		}
		i := slices.Index(lines, p.Error)
		if i < 0 {
			lines, ports = append(lines, p.Error), append(ports, nil)
			i = len(lines) - 1
		}
		ports[i] = append(ports[i], p.PortType)
	}
	if len(lines) == 0 {
		return nil
	}
	for i := range lines {
		lines[i] = "status: " + strings.Join(ports[i], " and ") + ": " + lines[i]
	}
	return errors.New(strings.Join(lines, "\n"))
}

// printStatus writes the report as text. A probe without an answer shows
// "no answer" here; its error is the command's error (stderr), said once.
func printStatus(w io.Writer, rep *statusReport) {
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintf(tw, "server:\t%s\n", rep.Server)
	for _, p := range rep.Probes {
		answer := "Initialize accepted"
		switch p.Outcome {
		case "refused":
			answer = "Initialize refused: " + p.Exception.ID
		case "error":
			answer = "no answer"
		}
		fmt.Fprintf(tw, "%s:\t%s\n", p.PortType, answer)
	}
	st := rep.Status
	fmt.Fprintf(tw, "provisioned:\t%s\n", st.Configured)
	fmt.Fprintf(tw, "schema conversion required:\t%s\n", st.ConversionRequired)
	fmt.Fprintf(tw, "provisioning in progress:\t%s\n", st.ProvisioningInProgress)
	fmt.Fprintf(tw, "conversion in progress:\t%s\n", st.ConversionInProgress)
	_ = tw.Flush()
	for _, n := range st.Notes {
		if failedProbeNote(rep.Probes, n) {
			continue // the error line says it
		}
		fmt.Fprintf(w, "note: %s\n", n)
	}
	fmt.Fprintf(w, "status: %s\n", rep.Summary)
}
