package services

import (
	"fmt"
	"strings"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file (tier 2: logical groups, custom field
// associations, the Unmapped and ManagedBy variants of ranges and
// addresses), numbered apart from enumerator.go's.
const (
	LogicalGroupRows           RowKind = iota + 32 // the eight LogicalGroup types
	CustomFieldAssociationRows                     // CustomFieldAssociation
	UnmappedRangeRows                              // ranges without a parent block
	UnmappedAddressRows                            // addresses without a range
	UnmappedRangeAddressRows                       // addresses of the ranges without a parent block
	ManagedByRangeRows                             // ranges of a Managed by / Managed by entity pair
	ManagedByAddressRows                           // addresses of a Managed by / Managed by entity pair
)

// GroupQuery is what LogicalGroupsEnumerationParameters selects (the
// mapping is in docs/protocol.md, "IIpamEnumerator").
type GroupQuery struct {
	// Type is the LogicalGroupType: Range, IPAddress, ManagedServer or
	// Subnet; with RowQuery.IPv6 it picks the row type.
	Type string
	// Users is the LogicalGroupUsers value the groups have:
	// IPAddressSpaceManagement for Range, IPAddress and Subnet groups,
	// ServerManagement for ManagedServer groups (3.5.4.8.1.77).
	Users string
	// Name: the group of that name (exact match); nil is every group.
	Name *string
	// ManagedBy, ManagedByEntity: the values of the built-in Managed by and
	// Managed by entity custom fields the ManagedBy variants select (exact
	// matches).
	ManagedBy, ManagedByEntity string
	// Node: the logical group node selection (enumerator_nodes.go).
	Node *NodeQuery
}

// groupRowQuery maps the tier 2 parameter types (MS-IPAMM2 3.5.4.8.1);
// any other type is IpamApiInvalidEnumeration (naming a type the WSDL
// declares: an undeclared i:type is refused before, by the session layer).
func groupRowQuery(p ipam.AnyEnumerationParametersBase) (moreQuery, *ipam.IpamException) {
	switch v := p.(type) {
	case *ipam.LogicalGroupsEnumerationParameters: // 3.5.4.8.1.77
		g := &GroupQuery{Type: string(v.LogicalGroupType), Users: "IPAddressSpaceManagement", Name: v.LogicalGroupName}
		switch v.LogicalGroupType {
		case ipam.LogicalGroupTypeRange, ipam.LogicalGroupTypeIPAddress, ipam.LogicalGroupTypeSubnet:
		case ipam.LogicalGroupTypeManagedServer:
			g.Users = "ServerManagement"
		default:
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupType must be Range, IPAddress, ManagedServer or Subnet")
		}
		return moreQuery{q: RowQuery{Kind: LogicalGroupRows, Groups: g}, want: ipam.EnumerationObjectTypeLogicalGroup, family: v.AddressFamily}, nil
	case *ipam.IPRangeUnmappedEnumerationParameters: // 3.5.4.8.1.71
		return moreQuery{q: RowQuery{Kind: UnmappedRangeRows}, want: ipam.EnumerationObjectTypeIPRange, family: v.AddressFamily}, nil
	case *ipam.IpamIPAddressUnmappedAddressEnumerationParameters: // 3.5.4.8.1.49
		return moreQuery{q: RowQuery{Kind: UnmappedAddressRows}, want: ipam.EnumerationObjectTypeIPAddress, family: v.AddressFamily}, nil
	case *ipam.IpamIPAddressForUnmappedRangesEnumerationParameters: // 3.5.4.8.1.47
		return moreQuery{q: RowQuery{Kind: UnmappedRangeAddressRows}, want: ipam.EnumerationObjectTypeIPAddress, family: v.AddressFamily}, nil
	case *ipam.IPRangeByManagedByAndManagedByEntityEnumerationParameters: // 3.5.4.8.1.66
		g, exc := managedBy(v.ManagedByValue, v.ManagedByEntityValue)
		if exc != nil {
			return moreQuery{}, exc
		}
		return moreQuery{q: RowQuery{Kind: ManagedByRangeRows, AddressSpaceID: v.AddressSpaceId, Groups: g},
			want: ipam.EnumerationObjectTypeIPRange, family: v.AddressFamily}, nil
	case *ipam.IpamIPAddressByManagedByAndManagedByEntityEnumerationParameters: // 3.5.4.8.1.43
		g, exc := managedBy(v.ManagedByValue, v.ManagedByEntityValue)
		if exc != nil {
			return moreQuery{}, exc
		}
		return moreQuery{q: RowQuery{Kind: ManagedByAddressRows, Groups: g}, want: ipam.EnumerationObjectTypeIPAddress, family: v.AddressFamily}, nil
	case *ipam.IpamIPSubnetByFilterEnumerationParameters: // 3.5.4.8.1.50
		return subnetFilter(v) // enumerator_filter.go
	case *ipam.AddressSpaceByFilterEnumerationParameters: // 3.5.4.8.1.1
		return addressSpaceFilter(v)
	case *ipam.IPRangeByFilterEnumerationParameters: // 3.5.4.8.1.65
		return rangeFilter(v) // enumerator_filter_ranges.go
	case *ipam.IpamIPAddressByFilterEnumerationParameters: // 3.5.4.8.1.42
		return addressFilter(v)
	case *ipam.CustomFieldAssociationEnumerationParameters: // 3.5.4.8.1.4
		return moreQuery{q: RowQuery{Kind: CustomFieldAssociationRows}, want: ipam.EnumerationObjectTypeCustomFieldAssociation, noFamily: true}, nil
	}
	return nodeRowQuery(p) // enumerator_nodes.go
}

// typeName is the parameter type's name, for IpamApiInvalidEnumeration
// (a type the WSDL declares: bounded).
func typeName(p ipam.AnyEnumerationParametersBase) string {
	return strings.TrimPrefix(fmt.Sprintf("%T", p), "*ipam.")
}

// managedBy is the selection of the ManagedBy variants: both values are
// needed (the spec's steps look each up).
func managedBy(service, entity *string) (*GroupQuery, *ipam.IpamException) {
	if service == nil || entity == nil {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "ManagedByValue and ManagedByEntityValue are required")
	}
	return &GroupQuery{ManagedBy: *service, ManagedByEntity: *entity}, nil
}
