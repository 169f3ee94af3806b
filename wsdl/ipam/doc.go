// Package ipam holds the MS-IPAMM2 contract of the two duplex port types ipamd
// serves — IIpamAsyncProvision and IIpamAsyncSchemaConversion — and their
// callback port types: namespaces, SOAP actions, the XSD types the operations
// carry, the port type interfaces, the callback clients and the Action
// dispatch tables.
//
// Almost all of it is generated from ../ipam.wsdl, the single source of
// truth, by wsdl/internal/ipamgen (zz_generated.go; run go generate). Names
// follow the WSDL/XSD exactly (MS-IPAMM2 2.2.4, 2.2.5 and appendix A). Every type reads and
// writes itself on an xmlstream node stream, so the same code serves the
// binary (MC-NBFX) and text encodings without encoding/xml or reflection.
//
// Written by hand is only what the WSDL cannot express: IpamException, an
// ISerializable .NET exception whose XSD is xs:any (exception.go); the two
// spellings of the callback actions (callbacks.go); the protocol-wide
// Keepalive action; the credential's redacting String (credential.go); and
// the FilterInfo tuples of the ByFilter parameter types, whose value is
// xsd:anyType (filter.go, filter_ranges.go).
package ipam

//go:generate go run ../internal/ipamgen -wsdl ../ipam.wsdl -out zz_generated.go -trim IIpamAsync,IIpam -role EnumeratedRowsCallback=Checkpoint -role NotifyEnumerationStart=Start -role NotifyEnumerationComplete=Complete -handwritten ipam1:IpamException -handwritten sys:TupleOfGetIPSubnetFilteranyType2zwQHvQz -handwritten sys:TupleOfGetAddressSpaceFilteranyType2zwQHvQz -handwritten sys:TupleOfGetIPRangeFilteranyType2zwQHvQz -handwritten sys:TupleOfGetIpamIPAddressFilteranyType2zwQHvQz -ns ipam1=DataContract -ns serarr=Arrays -ns sys=System -ns ser=Serialization -ns syssock=Sockets -ns sysnet=SystemNet -clientonly ipam:IPRange -clientonly ipam:IpamIPAddress -clientonly ipam:IPBlock -clientonly ipam:AddressSpace -clientonly ipam:CustomField -clientonly ipam:CustomFieldValue -clientonly ipam:CustomFieldAssociation -clientonly ipam:IPUtilization -clientonly ipam:GatewayAddress -clientonly ipam:DhcpExclusionRange -handwritten ipam:LogicalGroup -handwritten ipam:LogicalGroupNode -handwritten serarr:KeyValueOfintanyType
