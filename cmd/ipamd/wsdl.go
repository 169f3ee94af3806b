package main

import (
	"io"
	"net"
	"net/netip"
	"os"
	"strconv"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/wsdl"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

func newWSDLCmd(stdout io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "wsdl [--config FILE] [flags]",
		Short: "Print the WSDL of the served port types with the configured endpoint addresses",
		Long: `Print ipamd's WSDL (one flattened WSDL 1.1 document with every schema inline) to stdout,
with the service ports' addresses set to the endpoints the configuration listens on: listen URIs
joined with endpoints.provision_path / endpoints.schema_conversion_path. The first listen URI of
each transport is used; ports of transports that are not configured are left out. A wildcard
listen host (0.0.0.0, [::]) is replaced by this machine's host name, or by --address-host.`,
		Args: cobra.NoArgs,
	}
	file, flags := configFlags(cmd)
	host := cmd.Flags().String("address-host", "", "host `NAME` to put in the port addresses instead of the listen host")
	cmd.RunE = func(*cobra.Command, []string) error {
		cfg, err := loadConfig(*file, flags)
		if err != nil {
			return err // exit 2
		}
		doc, err := wsdlForConfig(cfg, *host)
		if err != nil {
			return err
		}
		if _, err := stdout.Write(doc); err != nil {
			return runtimeError(err)
		}
		return nil
	}
	return cmd
}

// wsdlForConfig returns the WSDL with the endpoints of cfg's listen URIs,
// the first one per transport. host, when not empty, replaces every listen
// host.
func wsdlForConfig(cfg *config.Config, host string) ([]byte, error) {
	uris, err := cfg.ListenURIs()
	if err != nil {
		return nil, err
	}
	provision, conversion, enumerator := map[string]string{}, map[string]string{}, map[string]string{}
	for _, u := range uris {
		if _, seen := provision[u.Transport]; seen {
			continue
		}
		h := host
		if h == "" {
			h = advertisedHost(u.Host)
		}
		hostport := net.JoinHostPort(h, strconv.Itoa(u.Port))
		provision[u.Transport] = u.Endpoint(hostport, cfg.Endpoints.ProvisionPath)
		conversion[u.Transport] = u.Endpoint(hostport, cfg.Endpoints.SchemaConversionPath)
		enumerator[u.Transport] = u.Endpoint(hostport, cfg.Endpoints.EnumeratorPath)
	}
	return wsdl.ForPortEndpoints(map[string]map[string]string{ipam.PortIIpamAsyncProvision: provision,
		ipam.PortIIpamAsyncSchemaConversion: conversion, ipam.PortIIpamEnumerator: enumerator})
}

// advertisedHost returns the host clients should use for a listen host: the
// machine's host name instead of a wildcard address (as WCF does), else the
// host itself.
func advertisedHost(h string) string {
	if ip, err := netip.ParseAddr(h); err == nil && ip.IsUnspecified() {
		if name, err := os.Hostname(); err == nil && name != "" {
			return name
		}
		return "localhost"
	}
	return h
}
