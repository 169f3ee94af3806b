package main

import (
	"bufio"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/spf13/cobra"

	"github.com/ipamd/ipamd/client"
	"github.com/ipamd/ipamd/config"
	"github.com/ipamd/ipamd/duplex/nmf"
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// enumerateFlags select what ipamd enumerate asks for.
type enumerateFlags struct {
	object       string
	family       string
	addressSpace int64
	rangeID      int64
	parentBlock  int64
	name         string
	groupType    string
	groupID      int64
	parentNode   string   // FIELD:VALUE,... (enumerate_filter.go)
	unmapped     bool     // LogicalGroupData (enumerate_data.go)
	filters      []string // KEY=VALUE (enumerate_filter.go)
}

// params are the InitializeEnumeration parameters the flags select
// (docs/protocol.md, "IIpamEnumerator").
func (f *enumerateFlags) params() (ipam.AnyEnumerationParametersBase, error) {
	af := ipam.AddressFamilyInterNetwork
	switch strings.ToLower(f.family) {
	case "ipv4":
	case "ipv6":
		af = ipam.AddressFamilyInterNetworkV6
	default:
		return nil, fmt.Errorf("--family %q: must be IPv4 or IPv6", f.family)
	}
	if p, ok, err := f.filterParams(af); ok { // enumerate_filter.go
		return p, err
	}
	if p, ok, err := f.dataParams(af); ok { // enumerate_data.go
		return p, err
	}
	if p, ok, err := f.groupParams(af); ok {
		return p, err
	}
	switch f.object {
	case "IPRange":
		base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPRange}
		if f.rangeID != 0 {
			return nil, fmt.Errorf("--range-id applies to --object IPAddress")
		}
		if f.addressSpace != 0 {
			return &ipam.IPRangeByAddressSpaceAndVirtualizationTypeParameters{EnumerationParametersBase: base, AddressFamily: af, AddressSpaceRecordID: f.addressSpace}, nil
		}
		return &ipam.IPRangeRootEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af}, nil
	case "IPAddress":
		base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPAddress}
		switch {
		case f.rangeID != 0 && f.addressSpace != 0:
			return nil, fmt.Errorf("--range-id and --address-space exclude each other")
		case f.rangeID != 0:
			id := f.rangeID
			return &ipam.IpamIPAddressByRangeIdEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af, RangeId: &id}, nil
		case f.addressSpace != 0:
			return &ipam.IpamIPAddressByAddressSpaceAndVirtualizationTypeParameters{EnumerationParametersBase: base, AddressFamily: af, AddressSpaceRecordID: f.addressSpace}, nil
		}
		return &ipam.IpamIPAddressRootAddressesEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af}, nil
	}
	if f.rangeID != 0 {
		return nil, fmt.Errorf("--range-id applies to --object IPAddress")
	}
	return f.blockParams(af)
}

// blockParams are the parameters of the block, subnet, address space and
// custom field enumerations.
func (f *enumerateFlags) blockParams(af ipam.AddressFamily) (ipam.AnyEnumerationParametersBase, error) {
	switch {
	case f.object != "IPBlock" && f.object != "IPSubnet" && f.object != "AddressSpace" && f.object != "CustomField":
		return nil, fmt.Errorf("--object %q: must be IPRange, IPAddress, IPBlock, IPSubnet, AddressSpace, CustomField, LogicalGroup, CustomFieldAssociation, LogicalGroupNode, LogicalGroupData or ServerInfo", f.object)
	case f.name != "" && f.object != "CustomField":
		return nil, fmt.Errorf("--name applies to --object CustomField and LogicalGroup")
	case f.parentBlock != 0 && f.object != "IPBlock" && f.object != "IPSubnet":
		return nil, fmt.Errorf("--parent-block applies to --object IPBlock and IPSubnet")
	case f.addressSpace != 0 && f.object != "IPSubnet":
		return nil, fmt.Errorf("--address-space does not apply to --object %s", f.object)
	}
	switch f.object {
	case "IPBlock":
		base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPBlock}
		if f.parentBlock != 0 {
			return &ipam.IPBlockChildBlockEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af, ParentBlockRecordId: f.parentBlock}, nil
		}
		return &ipam.IPBlockGetAllBlocksEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af}, nil
	case "IPSubnet":
		base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeIPSubnet}
		switch {
		case f.parentBlock != 0 && f.addressSpace != 0:
			return nil, fmt.Errorf("--parent-block and --address-space exclude each other")
		case f.parentBlock != 0:
			return &ipam.IpamIPSubnetsDirectChildrenByBlockIdEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af, ParentBlockRecordId: f.parentBlock}, nil
		case f.addressSpace != 0:
			return &ipam.IpamIPSubnetsByAddressSpaceAndVirtualizationTypeEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af, AddressSpaceRecordId: f.addressSpace}, nil
		}
		// No VirtualizationType: every subnet of the family.
		return &ipam.IpamIPSubnetsByVirtualizationTypeEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af}, nil
	case "AddressSpace":
		return &ipam.AddressSpaceEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeAddressSpace}}, nil
	case "CustomField":
		p := &ipam.CustomFieldEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeCustomField}}
		if f.name != "" {
			name := f.name
			p.CustomFieldName = &name
		}
		return p, nil
	}
	return nil, fmt.Errorf("--object %q: must be IPRange, IPAddress, IPBlock, IPSubnet, AddressSpace, CustomField, LogicalGroup, CustomFieldAssociation, LogicalGroupNode, LogicalGroupData or ServerInfo", f.object)
}

func newEnumerateCmd(stdout, stderr io.Writer) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "enumerate --server URI --object IPRange|IPAddress|IPBlock|IPSubnet|AddressSpace|CustomField|LogicalGroup|CustomFieldAssociation|LogicalGroupNode|LogicalGroupData|ServerInfo [flags]",
		Short: "Read IP ranges, addresses, blocks, subnets, address spaces, custom fields, logical groups, their nodes and objects, and servers from an IPAM server over net.tcp (IIpamEnumerator)",
		Long: `Enumerate objects as a management client does: open a net.tcp session to the IIpamEnumerator
endpoint, send InitializeEnumeration with the parameter type the flags select, StartEnumeration,
and print the rows of every EnumeratedRowsCallback until NotifyEnumerationComplete.

--object LogicalGroup lists the logical groups of --group-type (Range, IPAddress, ManagedServer or
Subnet; default Range) and --family, the one of --name only if given; --object LogicalGroupNode
--group-id ID lists the root nodes of that group (its RecordId, from --object LogicalGroup) over the
objects of --group-type and --family (a Subnet group: of --address-space only, if given);
--object LogicalGroupNode --group-id ID --parent-node PATH lists the children of the node PATH
names: its levels root first, each FIELD:VALUE (the CustomFieldRecordId and NodeCustomFieldValueId
a node row's Path= prints), so a node's children are listed with its printed Path;
--object CustomFieldAssociation lists the links between the values of two custom fields.
--object LogicalGroupData --group-id ID lists the objects the group maps (ranges, addresses,
subnets or servers, as --group-type says), with --parent-node PATH those of that node only, with
--unmapped those of --family the group does not map; --object ServerInfo lists every server.

--filter KEY=VALUE (repeatable) sends the ByFilter parameter type of --object IPRange, IPAddress,
IPSubnet or AddressSpace: every object of --family that meets each key, a repeated key meaning
either value (keys: IPRange VirtualizationType, AddressCategory, AddressSpaceName, ManagedByService,
ServiceInstance, Unmapped, AddressSpaceId, StartIP, EndIP; IPAddress the same without the last
three, with IpAddress; IPSubnet VirtualizationType, AddressSpaceName, NetworkId, PrefixLength,
EmptySubnets, LogicalNetwork; AddressSpace IPAddressSpaceType, MappingProviderAddressSpaceName).
The server refuses a key or value it does not read (IpamApiInvalidParameter).

Rows go to stdout, one per line: with --output text the row type, RecordId and addresses; with
--output json one JSON object per row (JSON Lines) holding every member ("type" is the row's
i:type; nested objects and collections as objects and arrays, nil members as null, addresses in
text form). The progress (stderr, on a terminal) counts the messages; the final line, on stderr
(--output json: the same report object provision prints), says how it ended.

` + clientExitCodes,
		Example: `  ipamd enumerate --server net.tcp://ipam1:48885 --object IPRange
  ipamd enumerate --server net.tcp://127.0.0.1:48885 --object IPAddress --family IPv6 --output json
  ipamd enumerate --server net.tcp://ipam1:48885 --object IPSubnet --parent-block 12
  ipamd enumerate --server net.tcp://ipam1:48885 --object CustomField --name "Managed by"
  ipamd enumerate --server net.tcp://ipam1:48885 --object LogicalGroup --group-type IPAddress --output json
  ipamd enumerate --server net.tcp://ipam1:48885 --object LogicalGroupNode --group-id 1
  ipamd enumerate --server net.tcp://ipam1:48885 --object LogicalGroupNode --group-id 1 --parent-node 8:3
  ipamd enumerate --server net.tcp://ipam1:48885 --object LogicalGroupData --group-id 1 --parent-node 8:3
  ipamd enumerate --server net.tcp://ipam1:48885 --object LogicalGroupData --group-id 1 --unmapped
  ipamd enumerate --server net.tcp://ipam1:48885 --object ServerInfo --output json
  ipamd enumerate --server net.tcp://ipam1:48885 --object IPRange --filter ManagedByService=DHCP --filter AddressSpaceId=1
  ipamd enumerate --server net.tcp://ipam1:48885 --object IPAddress --filter IpAddress=10.1.0.5 --filter IpAddress=10.1.0.6`,
		Args: cobra.NoArgs,
	}
	var cf clientFlags
	var ef enumerateFlags
	path := config.Default().Endpoints.EnumeratorPath
	cf.bind(cmd, "`URI` of the IIpamEnumerator endpoint, e.g. net.tcp://host:48885"+path+" (without a path, "+path+" is used)", false)
	fs := cmd.Flags()
	fs.StringVar(&ef.object, "object", "", "`TYPE` to enumerate: IPRange, IPAddress, IPBlock, IPSubnet, AddressSpace, CustomField, LogicalGroup, CustomFieldAssociation, LogicalGroupNode, LogicalGroupData or ServerInfo")
	fs.StringVar(&ef.family, "family", "IPv4", "address `FAMILY`: IPv4 or IPv6")
	fs.Int64Var(&ef.addressSpace, "address-space", 0, "IPRange, IPAddress, IPSubnet, LogicalGroupNode of a Subnet group: only the objects of the address space with this RecordId (0: all)")
	fs.Int64Var(&ef.rangeID, "range-id", 0, "IPAddress: only the addresses of the range with this RecordId (0: all)")
	fs.Int64Var(&ef.parentBlock, "parent-block", 0, "IPBlock, IPSubnet: only the direct children of the block with this RecordId (0: all)")
	fs.StringVar(&ef.name, "name", "", "CustomField, LogicalGroup: only the custom field or logical group of this `NAME`")
	fs.StringVar(&ef.groupType, "group-type", "", "LogicalGroup, LogicalGroupNode, LogicalGroupData: the logical group `TYPE`, Range, IPAddress, ManagedServer or Subnet (default Range)")
	fs.Int64Var(&ef.groupID, "group-id", 0, "LogicalGroupNode, LogicalGroupData: the RecordId of the logical group whose root nodes or objects to list")
	fs.StringVar(&ef.parentNode, "parent-node", "", "LogicalGroupNode, LogicalGroupData: list the children (the objects) of this node, its `PATH` root first as FIELD:VALUE,... (a node row's Path)")
	fs.BoolVar(&ef.unmapped, "unmapped", false, "LogicalGroupData: list the objects of --group-type and --family the group does not map")
	fs.StringArrayVar(&ef.filters, "filter", nil, "IPRange, IPAddress, IPSubnet, AddressSpace: only the objects meeting this `KEY=VALUE` criterion (repeatable; the ByFilter parameter type)")
	_ = cmd.MarkFlagRequired("object")
	cmd.RunE = func(cmd *cobra.Command, _ []string) error {
		cf.progress = progressAuto
		if err := cf.check(); err != nil {
			return err
		}
		params, err := ef.params()
		if err != nil {
			return err
		}
		uri, err := endpointURI(cf.server, path)
		if err != nil {
			return err
		}
		out := bufio.NewWriter(stdout)
		rows := func(rs []*ipam.GenericRow) error {
			for _, r := range rs {
				if err := writeRow(out, r, cf.output == outputJSON); err != nil {
					return err
				}
			}
			return out.Flush()
		}
		// The report goes to stderr: stdout holds the rows.
		r := &sessionRun{flags: &cf, op: "enumerate", verb: "enumeration", uri: uri, stdout: stderr, stderr: stderr}
		return r.run(cmd, func(ctx context.Context, c *client.Client, conn *nmf.ClientSession, obs client.Observer) (client.Result, error) {
			return c.Enumerate(ctx, conn, params, rows, obs)
		})
	}
	return cmd
}

// writeRow prints one row: a JSON object, or a text line.
func writeRow(w io.Writer, r *ipam.GenericRow, asJSON bool) error {
	if r == nil {
		_, err := io.WriteString(w, "null\n")
		return err
	}
	if asJSON {
		b, err := json.Marshal(rowJSON(r))
		if err != nil {
			return err
		}
		_, err = fmt.Fprintf(w, "%s\n", b)
		return err
	}
	line := r.Type + " RecordId=" + text(r.Get("RecordId"))
	for _, m := range []string{"Name", "Address", "StartIPAddress", "EndIPAddress", "PrefixLength", "AddressAssignment", "ProviderAddressSpaceName", "NodeCustomFieldValueId", "NodeValue"} {
		if v := r.Get(m); v != nil {
			line += " " + m + "=" + text(v)
		}
	}
	if p := nodePath(r); p != "" { // what --parent-node takes (enumerate_filter.go)
		line += " Path=" + p
	}
	_, err := fmt.Fprintln(w, line)
	return err
}

func text(v any) string {
	if s, ok := v.(string); ok {
		return s
	}
	return fmt.Sprint(v)
}

// orderedObject is a JSON object that keeps its members' order.
type orderedObject []ipam.GenericMember

func (o orderedObject) MarshalJSON() ([]byte, error) {
	b := []byte{'{'}
	for i, m := range o {
		if i > 0 {
			b = append(b, ',')
		}
		k, _ := json.Marshal(m.Name)
		v, err := json.Marshal(jsonValue(m.Value))
		if err != nil {
			return nil, err
		}
		b = append(append(append(b, k...), ':'), v...)
	}
	return append(b, '}'), nil
}

func rowJSON(r *ipam.GenericRow) orderedObject {
	o := make(orderedObject, 0, len(r.Members)+1)
	if r.Type != "" {
		o = append(o, ipam.GenericMember{Name: "type", Value: r.Type})
	}
	return append(o, r.Members...)
}

func jsonValue(v any) any {
	switch x := v.(type) {
	case *ipam.GenericRow:
		return rowJSON(x)
	case []any:
		out := make([]any, len(x))
		for i, e := range x {
			out[i] = jsonValue(e)
		}
		return out
	}
	return v
}
