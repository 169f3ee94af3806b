package services

import (
	"slices"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// LogicalGroupNodeRows is the kind of rows of the logical group node
// enumerations (the eight LogicalGroupNode types), numbered apart from
// enumerator_groups.go's.
const (
	LogicalGroupNodeRows RowKind = iota + 48
	// GroupRangeRows: the ranges of a range logical group's node
	// (NodeQuery.Parent the node's path).
	GroupRangeRows
	// GroupAddressRows: the addresses of the ranges of a range logical
	// group (NodeQuery.Parent nil), of a node of it, or of the ranges not
	// in it (NodeQuery.Unmapped).
	GroupAddressRows
)

// NodeQuery is what the logical group node parameter types select
// (docs/protocol.md, "Logical group nodes"): the nodes of one level of a
// group's hierarchy. Only RecordIds come from the client; the group, its
// fields and the values are read from the store.
type NodeQuery struct {
	// GroupID is the logical group's RecordId.
	GroupID int64
	// Type is the LogicalGroupType the parameter's i:type names (Range,
	// IPAddress, ManagedServer, Subnet): which objects the nodes group.
	Type string
	// Parent: the node whose children are asked for (its ancestors
	// included, root first); nil asks for the roots.
	Parent []NodeLevel
	// AddressSpaceID restricts a Subnet group's roots to the subnets of
	// that address space (SubnetLogicalGroupNodeRoot); nil is every one.
	AddressSpaceID *int64
	// Unmapped: GroupAddressRows of the ranges without a value of the
	// group's first field.
	Unmapped bool
}

// NodeLevel is one level of a node's path: the custom field of the level
// and the value the node has there.
type NodeLevel struct {
	CustomFieldID int64
	ValueID       int64
}

// nodeRowQuery maps the logical group node parameter types (MS-IPAMM2
// 3.5.4.8.1.75, .76, .79); any other type is IpamApiInvalidEnumeration.
func nodeRowQuery(p ipam.AnyEnumerationParametersBase) (moreQuery, *ipam.IpamException) {
	node := func(n *NodeQuery, v6 bool) moreQuery {
		return moreQuery{q: RowQuery{Kind: LogicalGroupNodeRows, IPv6: v6, Groups: &GroupQuery{Type: n.Type, Node: n}},
			want: ipam.EnumerationObjectTypeLogicalGroupNode, noFamily: true}
	}
	switch v := p.(type) {
	case *ipam.LogicalGroupNodeRootEnumerationParameters: // 3.5.4.8.1.76
		g, exc := groupOf(v.LogicalGroup)
		if exc != nil {
			return moreQuery{}, exc
		}
		switch v.LogicalGroupType {
		case ipam.LogicalGroupTypeRange, ipam.LogicalGroupTypeIPAddress, ipam.LogicalGroupTypeManagedServer, ipam.LogicalGroupTypeSubnet:
		default:
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupType must be Range, IPAddress, ManagedServer or Subnet")
		}
		if string(v.LogicalGroupType) != g.Type {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupType %s does not fit the LogicalGroup's type", v.LogicalGroupType)
		}
		return node(&NodeQuery{GroupID: *g.RecordID, Type: g.Type}, g.IPv6), nil
	case *ipam.SubnetLogicalGroupNodeRootEnumerationParameters: // 3.5.4.8.1.79
		g, exc := groupOf(v.LogicalGroup)
		if exc != nil {
			return moreQuery{}, exc
		}
		if g.Type != string(ipam.LogicalGroupTypeSubnet) {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroup must be an IPv4SubnetLogicalGroup or IPv6SubnetLogicalGroup")
		}
		v6 := v.AddressFamily == ipam.AddressFamilyInterNetworkV6
		if (v.AddressFamily != ipam.AddressFamilyInterNetwork && !v6) || v6 != g.IPv6 {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidAddressFamily, "AddressFamily must be InterNetwork or InterNetworkV6, the LogicalGroup's")
		}
		n := &NodeQuery{GroupID: *g.RecordID, Type: g.Type}
		if v.AddressSpaceId != 0 {
			id := v.AddressSpaceId
			n.AddressSpaceID = &id
		}
		return node(n, v6), nil
	case *ipam.LogicalGroupNodeChildrenEnumerationParameters: // 3.5.4.8.1.75
		parent := v.ParentLogicalGroupNode
		if parent == nil || parent.Type == "" {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "ParentLogicalGroupNode must be one of the LogicalGroupNode types")
		}
		n, exc := nodePath(parent)
		if exc != nil {
			return moreQuery{}, exc
		}
		return node(n, parent.IPv6), nil
	}
	return groupObjectQuery(p)
}

// groupObjectQuery maps the by-logical-group address and range parameter
// types (MS-IPAMM2 3.5.4.8.1.38, .39, .63, .80): range groups only.
func groupObjectQuery(p ipam.AnyEnumerationParametersBase) (moreQuery, *ipam.IpamException) {
	rangeType := func(t ipam.LogicalGroupType) *ipam.IpamException {
		if t != ipam.LogicalGroupTypeRange {
			return ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupType must be Range")
		}
		return nil
	}
	of := func(kind RowKind, n *NodeQuery, want ipam.EnumerationObjectType, family ipam.AddressFamily) moreQuery {
		n.Type = string(ipam.LogicalGroupTypeRange)
		return moreQuery{q: RowQuery{Kind: kind, Groups: &GroupQuery{Type: n.Type, Node: n}}, want: want, family: family}
	}
	const addresses, ranges = ipam.EnumerationObjectTypeIPAddress, ipam.EnumerationObjectTypeIPRange
	switch v := p.(type) {
	case *ipam.IpamIPAddressAllForLogicalGroupEnumerationParameters: // 3.5.4.8.1.38
		if exc := rangeType(v.LogicalGroupType); exc != nil {
			return moreQuery{}, exc
		}
		return of(GroupAddressRows, &NodeQuery{GroupID: v.LogicalGroupRecordId}, addresses, v.AddressFamily), nil
	case *ipam.UnmappedIpamIPAddressForLogicalGroupEnumerationParameters: // 3.5.4.8.1.80
		if exc := rangeType(v.LogicalGroupType); exc != nil {
			return moreQuery{}, exc
		}
		return of(GroupAddressRows, &NodeQuery{GroupID: v.LogicalGroupId, Unmapped: true}, addresses, v.AddressFamily), nil
	case *ipam.IpamIPAddressAllForLogicalGroupNodeEnumerationParameters: // 3.5.4.8.1.39
		if exc := rangeType(v.LogicalGroupType); exc != nil {
			return moreQuery{}, exc
		}
		n, exc := rangeNode(v.LogicalGroupNode)
		if exc != nil {
			return moreQuery{}, exc
		}
		return of(GroupAddressRows, n, addresses, v.AddressFamily), nil
	case *ipam.IPRangeAllForLogicalGroupNodeEnumerationParameters: // 3.5.4.8.1.63
		// The spec's text asks for LogicalGroupType Subnet, for ranges:
		// ipamd asks for Range (docs/protocol.md).
		if exc := rangeType(v.LogicalGroupType); exc != nil {
			return moreQuery{}, exc
		}
		n, exc := rangeNode(v.LogicalGroupNode)
		if exc != nil {
			return moreQuery{}, exc
		}
		return of(GroupRangeRows, n, ranges, v.AddressFamily), nil
	}
	return dataRowQuery(p) // enumerator_data.go
}

// rangeNode is the path of an IPv4/IPv6RangeLogicalGroupNode, root first.
func rangeNode(node *ipam.LogicalGroupNode) (*NodeQuery, *ipam.IpamException) {
	if node == nil || node.Type != string(ipam.LogicalGroupTypeRange) {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupNode must be an IPv4RangeLogicalGroupNode or IPv6RangeLogicalGroupNode")
	}
	return nodePath(node)
}

// nodePath is a node's group and path (its AncestorNodes, then itself).
func nodePath(node *ipam.LogicalGroupNode) (*NodeQuery, *ipam.IpamException) {
	n := &NodeQuery{Type: node.Type}
	for _, a := range append(slices.Clip(node.AncestorNodes), node) {
		if a == nil || a.CustomFieldRecordID == nil || a.NodeCustomFieldValueID == nil {
			return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupNode: CustomFieldRecordId and NodeCustomFieldValueId are required (of its AncestorNodes too)")
		}
		n.Parent = append(n.Parent, NodeLevel{CustomFieldID: *a.CustomFieldRecordID, ValueID: *a.NodeCustomFieldValueID})
	}
	if node.LogicalGroupRecordID == nil {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroupNode: LogicalGroupRecordId is required")
	}
	n.GroupID = *node.LogicalGroupRecordID
	return n, nil
}

// groupOf checks the LogicalGroup a parameter names: one of the derived
// types (which gives the objects and the family), with a RecordId.
func groupOf(g *ipam.LogicalGroup) (*ipam.LogicalGroup, *ipam.IpamException) {
	if g == nil || g.Type == "" {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroup must be one of the LogicalGroup types")
	}
	if g.RecordID == nil {
		return nil, ipam.NewException(ipam.IpamApiInvalidParameter, "LogicalGroup: RecordId is required")
	}
	return g, nil
}
