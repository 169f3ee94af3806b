package services

import (
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// GroupDataRows is the kind of rows of the LogicalGroupData parameter
// types (MS-IPAMM2 3.5.4.8.1.72-.74), numbered apart from the other
// files' kinds: the objects of a logical group's node (NodeQuery.Parent
// the node's path), of the whole group (Parent nil) or not in the group
// (NodeQuery.Unmapped), built as the rows of their own enumerations —
// IPv4Range / IPv6Range for a Range group, IpamIPv4Address /
// IpamIPv6Address for an IPAddress group, IPv4Subnet / IPv6Subnet for a
// Subnet group, ServerInfo for an ActiveServer group (docs/protocol.md,
// "LogicalGroupData").
const GroupDataRows RowKind = iota + 144

// dataRowQuery maps the LogicalGroupData parameter types; any other type
// goes on to rangeRowQuery. The node or group's i:type gives the objects
// and the family; only RecordIds are taken from the client.
func dataRowQuery(p ipam.AnyEnumerationParametersBase) (moreQuery, *ipam.IpamException) {
	data := func(n *NodeQuery, v6 bool) moreQuery {
		return moreQuery{q: RowQuery{Kind: GroupDataRows, IPv6: v6, Groups: &GroupQuery{Type: n.Type, Node: n}},
			want: ipam.EnumerationObjectTypeLogicalGroupData, noFamily: true}
	}
	switch v := p.(type) {
	case *ipam.LogicalGroupDataForLogicalGroupNodeEnumerationParameters: // 3.5.4.8.1.72
		node := v.LogicalGroupNode
		if node == nil || node.Type == "" {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupNode must be one of the LogicalGroupNode types")
		}
		if exc := dataObjects(node.Type, v.Filter); exc != nil {
			return moreQuery{}, exc
		}
		n, exc := nodePath(node)
		if exc != nil {
			return moreQuery{}, exc
		}
		return data(n, node.IPv6), nil
	case *ipam.LogicalGroupDataForRootAlternateItemsEnumerationParameters: // 3.5.4.8.1.73
		g, exc := dataGroup(v.LogicalGroup, v.LogicalGroupType, v.Filter)
		if exc != nil {
			return moreQuery{}, exc
		}
		return data(&NodeQuery{GroupID: *g.RecordID, Type: g.Type}, g.IPv6), nil
	case *ipam.LogicalGroupDataUnmappedItemsEnumerationParameters: // 3.5.4.8.1.74
		g, exc := dataGroup(v.LogicalGroup, v.LogicalGroupType, v.Filter)
		if exc != nil {
			return moreQuery{}, exc
		}
		return data(&NodeQuery{GroupID: *g.RecordID, Type: g.Type, Unmapped: true}, g.IPv6), nil
	}
	return rangeRowQuery(p) // enumerator_ranges.go
}

// dataGroup checks the LogicalGroup and LogicalGroupType of
// LogicalGroupDataForRootAlternateItems and LogicalGroupDataUnmappedItems:
// a derived type with a RecordId, and LogicalGroupType one of the four and
// the group's own (as LogicalGroupNodeRoot asks).
func dataGroup(lg *ipam.LogicalGroup, t ipam.LogicalGroupType, filter []*ipam.KeyValueOfintanyType) (*ipam.LogicalGroup, *ipam.IpamException) {
	g, exc := groupOf(lg)
	if exc != nil {
		return nil, exc
	}
	switch t {
	case ipam.LogicalGroupTypeRange, ipam.LogicalGroupTypeIPAddress, ipam.LogicalGroupTypeManagedServer, ipam.LogicalGroupTypeSubnet:
	default:
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupType must be Range, IPAddress, ManagedServer or Subnet")
	}
	if string(t) != g.Type {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupType %s does not fit the LogicalGroup's type", t)
	}
	if exc := dataObjects(g.Type, filter); exc != nil {
		return nil, exc
	}
	return g, nil
}

// dataObjects checks that ipamd serves the objects of a group type and
// that Filter is not given where the spec forbids it: the Filter is for
// ActiveServer groups and nodes only (2.2.4.333-.335). Their servers are
// ServerInfo rows; a non-empty Filter picks the DHCP and DNS server rows
// of the roles it names instead, which ipamd does not build:
// IpamApiInvalidEnumeration, as for the other types ipamd does not serve
// (docs/protocol.md, "LogicalGroupData").
func dataObjects(groupType string, filter []*ipam.KeyValueOfintanyType) *ipam.IpamException {
	if len(filter) == 0 {
		return nil
	}
	if groupType == string(ipam.LogicalGroupTypeManagedServer) {
		return ipam.NewException(ipam.IpamApiInvalidEnumeration,
			"a Filter of an ActiveServer logical group picks DHCP and DNS server rows, which ipamd does not enumerate (docs/protocol.md)")
	}
	return ipam.NewException(ipam.IpamApiInvalidParameter, "Filter applies only to ActiveServerV4/V6 logical groups and nodes")
}
