package services

import (
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// BlockQuery is what the block, subnet, address space and custom field
// parameter types select beyond RowQuery's filters (the mapping is in
// docs/protocol.md, "IIpamEnumerator"). Nil filters do not filter.
type BlockQuery struct {
	// RootOnly: blocks without a parent block (IPBlockRoot).
	RootOnly bool
	// ParentBlockID: blocks or subnets whose parent block is this one
	// (IPBlockChildBlock, IpamIPSubnetsDirectChildrenByBlockId).
	ParentBlockID *int64
	// WithinBlockID: subnets inside this block's bounds, in its address
	// space, with a parent block (IpamIPSubnetsByBlockId).
	WithinBlockID *int64
	// EmptyOnly: subnets no range names as its parent block
	// (IpamIPSubnetsByVirtualizationType with EmptySubnetsOnly).
	EmptyOnly bool
	// Name: the custom field of that name (CustomFieldEnumeration).
	Name *string
	// SpaceType: address spaces of that IPAddressSpaceType ("Provider",
	// "Customer").
	SpaceType *string
	// AddressAssignment: ranges of that AddressAssignment (IPRangeForBlock,
	// enumerator_ranges.go).
	AddressAssignment *string
	// MustExist: the block ParentBlockID or WithinBlockID names must exist
	// in the family; a missing one ends the enumeration with
	// IpamApiInvalidParameter (IPRangeForBlock, IPRangeAllForBlock:
	// §3.5.4.8.1.68 and .61 fault there, the others select nothing).
	MustExist bool
}

// moreQuery is what moreRowQuery makes of a parameter type.
type moreQuery struct {
	q        RowQuery
	want     ipam.EnumerationObjectType
	family   ipam.AddressFamily
	virt     *string
	noFamily bool // the parameter type has no AddressFamily
}

// moreRowQuery maps the block, subnet, address space and custom field
// parameter types (MS-IPAMM2 3.5.4.8.1); any other type is
// IpamApiInvalidEnumeration.
func moreRowQuery(p ipam.AnyEnumerationParametersBase) (moreQuery, *ipam.IpamException) {
	block := func(b BlockQuery) RowQuery { return RowQuery{Kind: BlockRows, Blocks: &b} }
	subnet := func(b BlockQuery) RowQuery { return RowQuery{Kind: SubnetRows, Blocks: &b} }
	const ipBlock, ipSubnet = ipam.EnumerationObjectTypeIPBlock, ipam.EnumerationObjectTypeIPSubnet
	switch v := p.(type) {
	case *ipam.IPBlockChildBlockEnumerationParameters: // 3.5.4.8.1.58
		id := v.ParentBlockRecordId
		return moreQuery{q: block(BlockQuery{ParentBlockID: &id}), want: ipBlock, family: v.AddressFamily}, nil
	case *ipam.IPBlockGetAllBlocksEnumerationParameters: // 3.5.4.8.1.59
		return moreQuery{q: block(BlockQuery{}), want: ipBlock, family: v.AddressFamily}, nil
	case *ipam.IPBlockRootEnumerationParameters: // 3.5.4.8.1.60
		q := block(BlockQuery{RootOnly: true})
		q.Category = categoryOf(v.AddressCategory)
		return moreQuery{q: q, want: ipBlock, family: v.AddressFamily}, nil
	case *ipam.IpamIPSubnetsByAddressCategoryEnumerationParameters: // 3.5.4.8.1.51
		q := subnet(BlockQuery{})
		c := v.AddressCategory
		if c == "" {
			c = ipam.AddressCategoryNone
		}
		q.Category = categoryOf(&c)
		return moreQuery{q: q, want: ipSubnet, family: v.AddressFamily}, nil
	case *ipam.IpamIPSubnetsByAddressSpaceAndVirtualizationTypeEnumerationParameters: // 3.5.4.8.1.52
		q := subnet(BlockQuery{})
		id := v.AddressSpaceRecordId
		q.AddressSpaceID = &id
		return moreQuery{q: q, want: ipSubnet, family: v.AddressFamily, virt: v.VirtualizationType}, nil
	case *ipam.IpamIPSubnetsByBlockIdEnumerationParameters: // 3.5.4.8.1.53
		id := v.ParentBlockRecordId
		return moreQuery{q: subnet(BlockQuery{WithinBlockID: &id}), want: ipSubnet, family: v.AddressFamily}, nil
	case *ipam.IpamIPSubnetsByUnmappedEnumerationParameters: // 3.5.4.8.1.54: GetUnmappedSubnets
		q := subnet(BlockQuery{})
		def := int64(1) // the Default Provider Address Space
		q.AddressSpaceID = &def
		return moreQuery{q: q, want: ipSubnet, family: v.AddressFamily, virt: v.VirtualizationType}, nil
	case *ipam.IpamIPSubnetsByVirtualizationTypeEnumerationParameters: // 3.5.4.8.1.55
		m := moreQuery{q: subnet(BlockQuery{EmptyOnly: v.EmptySubnetsOnly}), want: ipSubnet, family: v.AddressFamily}
		if !v.EmptySubnetsOnly { // the empty-subnets branch does not filter (docs/protocol.md)
			m.virt = v.VirtualizationType
		}
		return m, nil
	case *ipam.IpamIPSubnetsDirectChildrenByBlockIdEnumerationParameters: // 3.5.4.8.1.56
		id := v.ParentBlockRecordId
		return moreQuery{q: subnet(BlockQuery{ParentBlockID: &id}), want: ipSubnet, family: v.AddressFamily}, nil
	case *ipam.CustomFieldEnumerationParameters: // 3.5.4.8.1.5
		return moreQuery{q: RowQuery{Kind: CustomFieldRows, Blocks: &BlockQuery{Name: v.CustomFieldName}},
			want: ipam.EnumerationObjectTypeCustomField, noFamily: true}, nil
	case *ipam.AddressSpaceEnumerationParameters: // 3.5.4.8.1.2
		b := &BlockQuery{}
		if t := v.AddressSpaceType; t != nil && *t != ipam.IPAddressSpaceTypeNone {
			if !t.Valid() {
				return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "AddressSpaceType must be an IPAddressSpaceType")
			}
			s := string(*t)
			b.SpaceType = &s
		}
		return moreQuery{q: RowQuery{Kind: AddressSpaceRows, Blocks: b}, want: ipam.EnumerationObjectTypeAddressSpace, noFamily: true}, nil
	}
	return groupRowQuery(p) // enumerator_groups.go
}
