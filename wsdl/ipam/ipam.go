// Package ipam holds the MS-IPAMM2 contract of the two duplex port types ipamd
// serves — IIpamAsyncProvision and IIpamAsyncSchemaConversion — and their
// callback port types: namespaces, SOAP actions, the XSD types the operations
// carry, and the port-type interfaces with their Action dispatch tables.
//
// Names follow the spec's WSDL/XSD exactly (ms-ipamm2.md §7, §9). Every type
// reads and writes itself on an xmlstream node stream, so the same code serves
// the binary (MC-NBFX) and text encodings without reflection.
package ipam

// Namespaces of the contract (MS-IPAMM2 2.2.1).
const (
	// Namespace is the service namespace (prefix "ipam" in the spec's WSDL):
	// operations, wrapper elements and most data contracts.
	Namespace = "http://Microsoft.Windows.Ipam"
	// NamespaceDataContract is the .NET data-contract namespace ("ipam1") of
	// IpamException and IpamExceptionId.
	NamespaceDataContract = "http://schemas.datacontract.org/2004/07/Microsoft.Windows.Ipam"
	// NamespaceArrays holds ArrayOfstring ("serarr").
	NamespaceArrays = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
	// NamespaceXSD is XML Schema, used for xsi:type values of ISerializable members.
	NamespaceXSD = "http://www.w3.org/2001/XMLSchema"
	// NamespaceXSI is the XML Schema instance namespace (i:type, i:nil).
	NamespaceXSI = "http://www.w3.org/2001/XMLSchema-instance"
)

// Port type names as the WSDL gives them.
const (
	PortIIpamAsyncProvision         = "IIpamAsyncProvision"
	PortIIpamAsyncProvisionCallback = "IIpamAsyncProvisionCallback"
	PortIIpamAsyncSchemaConversion  = "IIpamAsyncSchemaConversion"
	PortIIpamAsyncSchemaCallback    = "IIpamAsyncSchemaCallback"
)

// SOAP actions of the operations (wsaw:Action in MS-IPAMM2 section 6).
const (
	ActionInitializeAsyncProvisioning         = Namespace + "/IIpamAsyncProvision/InitializeAsyncProvisioning"
	ActionInitializeAsyncProvisioningResponse = Namespace + "/IIpamAsyncProvision/InitializeAsyncProvisioningResponse"
	ActionStartAsyncProvisioning              = Namespace + "/IIpamAsyncProvision/StartAsyncProvisioning"

	ActionInitializeAsyncSchemaConversion         = Namespace + "/IIpamAsyncSchemaConversion/InitializeAsyncSchemaConversion"
	ActionInitializeAsyncSchemaConversionResponse = Namespace + "/IIpamAsyncSchemaConversion/InitializeAsyncSchemaConversionResponse"
	ActionStartAsyncSchemaConversion              = Namespace + "/IIpamAsyncSchemaConversion/StartAsyncSchemaConversion"

	// ActionKeepalive is the protocol-wide Keepalive (MS-IPAMM2 2.2.2.2). It is
	// not a URI; servers accept it on every session and ignore it.
	ActionKeepalive = "Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive"
)

// CallbackActions are the SOAP actions a server puts on the three Notify…
// callbacks of one port type. MS-IPAMM2 gives two spellings (ms-ipamm2.md
// §4.5): the server port type's ("…/IIpamAsyncProvision/Notify…", what WCF
// and the spec's own IIpamEnumerator example send) and the callback port
// type's ("…/IIpamAsyncProvisionCallback/Notify…").
type CallbackActions struct {
	Start, Checkpoint, Complete string
}

// CallbackActionStyle selects one of the two spellings.
type CallbackActionStyle int

const (
	// CallbackActionsService uses the server port type's name (the default).
	CallbackActionsService CallbackActionStyle = iota
	// CallbackActionsCallback uses the callback port type's name.
	CallbackActionsCallback
)

// ProvisionCallbackActions returns the IIpamAsyncProvision callback actions.
func ProvisionCallbackActions(style CallbackActionStyle) CallbackActions {
	port := PortIIpamAsyncProvision
	if style == CallbackActionsCallback {
		port = PortIIpamAsyncProvisionCallback
	}
	base := Namespace + "/" + port + "/"
	return CallbackActions{
		Start:      base + "NotifyAsyncProvisionStart",
		Checkpoint: base + "NotifyAsyncProvisionCheckpoint",
		Complete:   base + "NotifyAsyncProvisionComplete",
	}
}

// SchemaConversionCallbackActions returns the IIpamAsyncSchemaConversion
// callback actions.
func SchemaConversionCallbackActions(style CallbackActionStyle) CallbackActions {
	port := PortIIpamAsyncSchemaConversion
	if style == CallbackActionsCallback {
		port = PortIIpamAsyncSchemaCallback
	}
	base := Namespace + "/" + port + "/"
	return CallbackActions{
		Start:      base + "NotifyAsyncSchemaConversionStart",
		Checkpoint: base + "NotifyAsyncSchemaConversionCheckpoint",
		Complete:   base + "NotifyAsyncSchemaConversionComplete",
	}
}
