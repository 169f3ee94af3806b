package services

import (
	"github.com/ipamd/ipamd/wsdl/ipam"
)

// The kinds of rows of this file: the ranges of a block or subnet, and
// the addresses of those ranges (docs/protocol.md, "IIpamEnumerator").
const (
	// BlockRangeRows: the ranges whose parent block is Blocks.ParentBlockID
	// (IPRangeForBlock, IPRangeForSubnet), of Blocks.AddressAssignment if
	// set; or, with Blocks.WithinBlockID, the ranges inside that block's
	// bounds with a parent block (IPRangeAllForBlock).
	BlockRangeRows RowKind = iota + 64
	// BlockAddressRows: the addresses of the ranges whose parent block is
	// Blocks.ParentBlockID (IpamIPAddressBySubnetId, IpamIPAddressByBlockId).
	BlockAddressRows
)

// rangeRowQuery maps the range and address parameter types by block,
// subnet and virtualization type (MS-IPAMM2 3.5.4.8.1.41, .45, .46, .61,
// .67, .68, .69); the others go on to serverRowQuery.
func rangeRowQuery(p ipam.AnyEnumerationParametersBase) (moreQuery, *ipam.IpamException) {
	const ranges, addresses = ipam.EnumerationObjectTypeIPRange, ipam.EnumerationObjectTypeIPAddress
	parent := func(kind RowKind, id int64) RowQuery {
		return RowQuery{Kind: kind, Blocks: &BlockQuery{ParentBlockID: &id}}
	}
	switch v := p.(type) {
	case *ipam.IPRangeByVirtualizationTypeParameters: // 3.5.4.8.1.67
		return moreQuery{q: RowQuery{Kind: RangeRows}, want: ranges, family: v.AddressFamily, virt: v.VirtualizationType}, nil
	case *ipam.IpamIPAddressByVirtualizationTypeParameters: // 3.5.4.8.1.46
		return moreQuery{q: RowQuery{Kind: AddressRows}, want: addresses, family: v.AddressFamily, virt: v.VirtualizationType}, nil
	case *ipam.IPRangeForBlockEnumerationParameters: // 3.5.4.8.1.68
		q := parent(BlockRangeRows, v.ParentBlockRecordId)
		q.Blocks.MustExist = true
		if a := v.AddressAssignment; a != nil && *a != "" {
			if !a.Valid() {
				return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "AddressAssignment must be an AddressAssignment")
			}
			s := string(*a)
			q.Blocks.AddressAssignment = &s
		}
		return moreQuery{q: q, want: ranges, family: v.AddressFamily}, nil
	case *ipam.IPRangeForSubnetEnumerationParameter: // 3.5.4.8.1.69
		return moreQuery{q: parent(BlockRangeRows, v.SubnetId), want: ranges, family: v.AddressFamily}, nil
	case *ipam.IPRangeAllForBlockEnumerationParameter: // 3.5.4.8.1.61
		id := v.ParentBlockRecordId
		return moreQuery{q: RowQuery{Kind: BlockRangeRows, Blocks: &BlockQuery{WithinBlockID: &id, MustExist: true}}, want: ranges, family: v.AddressFamily}, nil
	case *ipam.IpamIPAddressBySubnetIdEnumerationParameters: // 3.5.4.8.1.45
		return moreQuery{q: parent(BlockAddressRows, v.SubnetId), want: addresses, family: v.AddressFamily}, nil
	case *ipam.IpamIPAddressByBlockIdEnumerationParameters: // 3.5.4.8.1.41
		if v.BlockId == nil {
			return moreQuery{}, ipam.NewException(ipam.IpamApiInvalidParameter, "IpamIPAddressByBlockIdEnumerationParameters: BlockId is required")
		}
		return moreQuery{q: parent(BlockAddressRows, *v.BlockId), want: addresses, family: v.AddressFamily}, nil
	}
	return serverRowQuery(p) // enumerator_servers.go
}
