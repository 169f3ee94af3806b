package ipam

// ActionKeepalive is the protocol-wide Keepalive (MS-IPAMM2 2.2.2.2). It is
// not a URI and no port type declares it; servers accept it on every
// session and ignore it.
const ActionKeepalive = "Microsoft.WindowsServerSolutions.Common.ProviderFramework.Keepalive"

// CallbackActionStyle selects one of the two spellings of the Notify…
// callback actions. MS-IPAMM2 gives both (docs/protocol.md#callback-actions):
// the server port type's ("…/IIpamAsyncProvision/Notify…", what WCF and the
// spec's own IIpamEnumerator example send) and the callback port type's
// ("…/IIpamAsyncProvisionCallback/Notify…"). The WSDL declares both
// operations; which one a server sends is a deployment choice.
type CallbackActionStyle int

const (
	// CallbackActionsService uses the server port type's name (the default).
	CallbackActionsService CallbackActionStyle = iota
	// CallbackActionsCallback uses the callback port type's name.
	CallbackActionsCallback
)
