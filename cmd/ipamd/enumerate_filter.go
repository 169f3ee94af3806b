package main

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/ipamd/ipamd/wsdl/ipam"
)

// maxParentNodeLevels bounds --parent-node: the server reads at most 16
// AncestorNodes (docs/protocol.md, "Logical group nodes"), so a path has
// at most 17 levels.
const maxParentNodeLevels = 17

// filterParams are the ByFilter parameters of --filter (docs/protocol.md,
// "ByFilter parameter types"): each KEY=VALUE one FilterInfo criterion,
// its value an xsd:string; which keys and values mean anything is the
// server's to say. ok is false without --filter.
func (f *enumerateFlags) filterParams(af ipam.AddressFamily) (_ ipam.AnyEnumerationParametersBase, ok bool, _ error) {
	if len(f.filters) == 0 {
		return nil, false, nil
	}
	switch {
	case f.object != "IPRange" && f.object != "IPAddress" && f.object != "IPSubnet" && f.object != "AddressSpace":
		return nil, true, fmt.Errorf("--filter applies to --object IPRange, IPAddress, IPSubnet and AddressSpace")
	case f.addressSpace != 0 || f.rangeID != 0 || f.parentBlock != 0 || f.name != "" || f.groupType != "" || f.groupID != 0 || f.parentNode != "":
		return nil, true, fmt.Errorf("--filter selects by its keys alone: it excludes --address-space, --range-id, --parent-block, --name, --group-type, --group-id and --parent-node")
	}
	criteria := make([]ipam.FilterCriterion, 0, len(f.filters))
	for _, kv := range f.filters {
		key, value, found := strings.Cut(kv, "=")
		if !found || strings.TrimSpace(key) == "" {
			return nil, true, fmt.Errorf("--filter %q: must be KEY=VALUE", kv)
		}
		v := value
		criteria = append(criteria, ipam.FilterCriterion{Key: strings.TrimSpace(key), Value: &v})
	}
	base := func(ot ipam.EnumerationObjectType) ipam.EnumerationParametersBase {
		return ipam.EnumerationParametersBase{ObjectType: ot}
	}
	switch f.object {
	case "IPRange":
		p := &ipam.IPRangeByFilterEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPRange), AddressFamily: af}
		for _, c := range criteria {
			p.FilterInfo = append(p.FilterInfo, &ipam.TupleOfGetIPRangeFilteranyType2zwQHvQz{FilterCriterion: c})
		}
		return p, true, nil
	case "IPAddress":
		p := &ipam.IpamIPAddressByFilterEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPAddress), AddressFamily: af}
		for _, c := range criteria {
			p.FilterInfo = append(p.FilterInfo, &ipam.TupleOfGetIpamIPAddressFilteranyType2zwQHvQz{FilterCriterion: c})
		}
		return p, true, nil
	case "IPSubnet":
		p := &ipam.IpamIPSubnetByFilterEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeIPSubnet), AddressFamily: af}
		for _, c := range criteria {
			p.FilterInfo = append(p.FilterInfo, &ipam.TupleOfGetIPSubnetFilteranyType2zwQHvQz{FilterCriterion: c})
		}
		return p, true, nil
	}
	p := &ipam.AddressSpaceByFilterEnumerationParameters{EnumerationParametersBase: base(ipam.EnumerationObjectTypeAddressSpace)}
	for _, c := range criteria {
		p.FilterInfo = append(p.FilterInfo, &ipam.TupleOfGetAddressSpaceFilteranyType2zwQHvQz{FilterCriterion: c})
	}
	return p, true, nil
}

// childParams are the parameters of the children of the node --parent-node
// names in the group --group-id of type gt: its path, root first, as
// FIELD:VALUE levels (CustomFieldRecordId:NodeCustomFieldValueId, as a node
// row's Path prints them). The server reads only these ids and the node
// type (docs/protocol.md, "Logical group nodes").
func (f *enumerateFlags) childParams(gt ipam.LogicalGroupType, af ipam.AddressFamily, group int64) (ipam.AnyEnumerationParametersBase, error) {
	parent, err := f.parentNodeOf(gt, af, group)
	if err != nil {
		return nil, err
	}
	return &ipam.LogicalGroupNodeChildrenEnumerationParameters{
		EnumerationParametersBase: ipam.EnumerationParametersBase{ObjectType: ipam.EnumerationObjectTypeLogicalGroupNode},
		ParentLogicalGroupNode:    parent}, nil
}

// parentNodeOf is the node --parent-node names, its ancestors root first.
func (f *enumerateFlags) parentNodeOf(gt ipam.LogicalGroupType, af ipam.AddressFamily, group int64) (*ipam.LogicalGroupNode, error) {
	levels := strings.Split(f.parentNode, ",")
	if len(levels) > maxParentNodeLevels {
		return nil, fmt.Errorf("--parent-node: %d levels, more than the %d a node can have", len(levels), maxParentNodeLevels)
	}
	var path []*ipam.LogicalGroupNode
	for _, l := range levels {
		fs, vs, found := strings.Cut(strings.TrimSpace(l), ":")
		field, err1 := strconv.ParseInt(fs, 10, 64)
		value, err2 := strconv.ParseInt(vs, 10, 64)
		if !found || err1 != nil || err2 != nil || field <= 0 || value <= 0 {
			return nil, fmt.Errorf("--parent-node %q: each level must be FIELD:VALUE, a node's CustomFieldRecordId and NodeCustomFieldValueId", f.parentNode)
		}
		g := group
		path = append(path, &ipam.LogicalGroupNode{Type: string(gt), IPv6: af == ipam.AddressFamilyInterNetworkV6,
			LogicalGroupRecordID: &g, CustomFieldRecordID: &field, NodeCustomFieldValueID: &value})
	}
	parent := path[len(path)-1]
	parent.AncestorNodes = path[:len(path)-1]
	return parent, nil
}

// nodePath is a node row's path as --parent-node takes it (its
// AncestorNodes, then itself, as FIELD:VALUE), or "" for other rows.
func nodePath(r *ipam.GenericRow) string {
	if r.Get("NodeCustomFieldValueId") == nil {
		return ""
	}
	var levels []string
	level := func(n *ipam.GenericRow) {
		levels = append(levels, text(n.Get("CustomFieldRecordId"))+":"+text(n.Get("NodeCustomFieldValueId")))
	}
	if ancestors, ok := r.Get("AncestorNodes").([]any); ok {
		for _, a := range ancestors {
			if n, ok := a.(*ipam.GenericRow); ok {
				level(n)
			}
		}
	}
	level(r)
	return strings.Join(levels, ",")
}
