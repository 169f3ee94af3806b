package main

import (
	"fmt"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// dataParams are the parameters of --object ServerInfo (every server:
// ServerInfoEnumerationParameters without a Filter) and --object
// LogicalGroupData (the objects of the logical group --group-id: of the
// node --parent-node names, of the whole group, or with --unmapped those
// not in it; docs/protocol.md, "LogicalGroupData"); ok is false for the
// other objects, which refuse --unmapped.
func (f *enumerateFlags) dataParams(af ipam.AddressFamily) (_ ipam.AnyEnumerationParametersBase, ok bool, _ error) {
	switch f.object {
	case "ServerInfo", "LogicalGroupData":
	default:
		if f.unmapped {
			return nil, true, fmt.Errorf("--unmapped applies to --object LogicalGroupData")
		}
		return nil, false, nil
	}
	switch {
	case f.rangeID != 0:
		return nil, true, fmt.Errorf("--range-id applies to --object IPAddress")
	case f.parentBlock != 0:
		return nil, true, fmt.Errorf("--parent-block applies to --object IPBlock and IPSubnet")
	case f.addressSpace != 0:
		return nil, true, fmt.Errorf("--address-space does not apply to --object %s", f.object)
	case f.name != "":
		return nil, true, fmt.Errorf("--name applies to --object CustomField and LogicalGroup")
	}
	if f.object == "ServerInfo" {
		if f.groupType != "" || f.groupID != 0 || f.parentNode != "" || f.unmapped {
			return nil, true, fmt.Errorf("--group-type, --group-id, --parent-node and --unmapped apply to --object LogicalGroupData")
		}
		// Servers have no family: --family is not sent.
		return &ipam.ServerInfoEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeServerInfo}}, true, nil
	}
	gt, err := f.logicalGroupType()
	if err != nil {
		return nil, true, err
	}
	switch {
	case f.groupID <= 0:
		return nil, true, fmt.Errorf("--object LogicalGroupData needs --group-id, the RecordId of a logical group")
	case f.unmapped && f.parentNode != "":
		return nil, true, fmt.Errorf("--unmapped and --parent-node exclude each other")
	}
	base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupData}
	if f.parentNode != "" {
		node, err := f.parentNodeOf(gt, af, f.groupID) // enumerate_filter.go
		if err != nil {
			return nil, true, err
		}
		return &ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters{EnumerationParametersBase: base, LogicalGroupNode: node}, true, nil
	}
	// The LogicalGroup's i:type names the group's objects and family, as
	// for the roots of its nodes (enumerate_groups.go).
	id := f.groupID
	group := &ipam.LogicalGroup{Type: string(gt), IPv6: af == ipam.AddressFamilyInterNetworkV6, RecordID: &id}
	if f.unmapped {
		return &ipam.LogicalGroupDataUnmappedItemsEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group, LogicalGroupType: gt}, true, nil
	}
	return &ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group, LogicalGroupType: gt}, true, nil
}
