package main

import (
	"context"
	"io"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/services"
)

func newConvertCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "convert --server URI [flags]",
		Short: "Convert an IPAM server's data store schema over net.tcp (IIpamAsyncSchemaConversion), with live progress",
		Long: `Run a schema conversion as a management client does: open a net.tcp session to the
IIpamAsyncSchemaConversion endpoint, send InitializeAsyncSchemaConversion (EnumerationParametersBase
with ObjectType AsyncSchemaConversion), StartAsyncSchemaConversion, follow
NotifyAsyncSchemaConversionStart/Checkpoint/Complete (a progress bar on stderr counts the
checkpoints and, with --admin naming the server's admin listener, shows the step, rows and rows/s the
server reports), send Keepalives meanwhile, and end the session.

The final line and --output json are those of 'ipamd provision' ("schema conversion succeeded",
"… refused:", "… failed:" with the IpamExceptionId and message); a server whose store is current
answers IpamSchemaConversionNotRequired.

` + clientExitCodes,
		Example: `  ipamd convert --server net.tcp://ipam1:48885/ipam/IIpamAsyncSchemaConversion`,
		Args:    cobra.NoArgs,
	}
	var cf clientFlags
	_, conversionPath := defaultPaths()
	cf.bind(cmd, "`URI` of the IIpamAsyncSchemaConversion endpoint, e.g. net.tcp://host:48885"+conversionPath+
		" (without a path, "+conversionPath+" is used)", true)
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		if err := cf.check(); err != nil {
			return err
		}
		uri, err := endpointURI(cf.server, conversionPath)
		if err != nil {
			return err
		}
		r := &sessionRun{flags: &cf, op: "convert", verb: "schema conversion", uri: uri, stdout: stdout, stderr: stderr,
			kind: string(services.WorkSchemaConversion)}
		return r.run(cmd, func(ctx context.Context, c *client.Client, conn *nmf.ClientSession, obs client.Observer) (client.Result, error) {
			return c.ConvertSchema(ctx, conn, obs)
		})
	}
	return cmd
}
