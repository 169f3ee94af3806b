package main

import (
	"fmt"
	"strings"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// groupParams are the parameters of the logical group, custom field
// association and logical group node enumerations (docs/protocol.md,
// "Logical group nodes"); ok is false for the other objects, whose
// parameters refuse --group-type and --group-id.
func (f *enumerateFlags) groupParams(af ipam.AddressFamily) (_ ipam.AnyEnumerationParametersBase, ok bool, _ error) {
	switch f.object {
	case "LogicalGroup", "CustomFieldAssociation", "LogicalGroupNode":
	default:
		if f.groupType != "" || f.groupID != 0 || f.parentNode != "" {
			return nil, true, fmt.Errorf("--group-type, --group-id and --parent-node apply to --object LogicalGroup and LogicalGroupNode")
		}
		return nil, false, nil
	}
	switch {
	case f.rangeID != 0:
		return nil, true, fmt.Errorf("--range-id applies to --object IPAddress")
	case f.parentBlock != 0:
		return nil, true, fmt.Errorf("--parent-block applies to --object IPBlock and IPSubnet")
	case f.name != "" && f.object != "LogicalGroup":
		return nil, true, fmt.Errorf("--name applies to --object CustomField and LogicalGroup")
	case (f.groupID != 0 || f.parentNode != "") && f.object != "LogicalGroupNode":
		return nil, true, fmt.Errorf("--group-id and --parent-node apply to --object LogicalGroupNode")
	case f.groupType != "" && f.object == "CustomFieldAssociation":
		return nil, true, fmt.Errorf("--group-type applies to --object LogicalGroup and LogicalGroupNode")
	}
	gt, err := f.logicalGroupType()
	if err != nil {
		return nil, true, err
	}
	if f.addressSpace != 0 && (f.object != "LogicalGroupNode" || gt != ipam.LogicalGroupTypeSubnet || f.parentNode != "") {
		return nil, true, fmt.Errorf("--address-space does not apply to --object %s --group-type %s", f.object, gt)
	}
	switch f.object {
	case "LogicalGroup":
		p := &ipam.LogicalGroupsEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroup},
			AddressFamily: af, LogicalGroupType: gt}
		if f.name != "" {
			name := f.name
			p.LogicalGroupName = &name
		}
		return p, true, nil
	case "CustomFieldAssociation":
		return &ipam.CustomFieldAssociationEnumerationParameters{EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeCustomFieldAssociation}}, true, nil
	}
	if f.groupID <= 0 {
		return nil, true, fmt.Errorf("--object LogicalGroupNode needs --group-id, the RecordId of a logical group")
	}
	// The LogicalGroup's i:type names the group's objects and family (the
	// server reads nothing else from it but the RecordId).
	id := f.groupID
	group := &ipam.LogicalGroup{Type: string(gt), IPv6: af == ipam.AddressFamilyInterNetworkV6, RecordID: &id}
	if f.parentNode != "" {
		p, err := f.childParams(gt, af, id) // enumerate_filter.go
		return p, true, err
	}
	base := ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupNode}
	if gt == ipam.LogicalGroupTypeSubnet {
		return &ipam.SubnetLogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, AddressFamily: af,
			AddressSpaceId: f.addressSpace, LogicalGroup: group}, true, nil
	}
	return &ipam.LogicalGroupNodeRootEnumerationParameters{EnumerationParametersBase: base, LogicalGroup: group, LogicalGroupType: gt}, true, nil
}

// logicalGroupType is --group-type's LogicalGroupType (default Range).
func (f *enumerateFlags) logicalGroupType() (ipam.LogicalGroupType, error) {
	if f.groupType == "" {
		return ipam.LogicalGroupTypeRange, nil
	}
	for _, t := range []ipam.LogicalGroupType{ipam.LogicalGroupTypeRange, ipam.LogicalGroupTypeIPAddress, ipam.LogicalGroupTypeManagedServer, ipam.LogicalGroupTypeSubnet} {
		if strings.EqualFold(f.groupType, string(t)) {
			return t, nil
		}
	}
	return "", fmt.Errorf("--group-type %q: must be Range, IPAddress, ManagedServer or Subnet", f.groupType)
}
