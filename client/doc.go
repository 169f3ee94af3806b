// Package client is the management client's side of the two MS-IPAMM2
// duplex port types, IIpamAsyncProvision and IIpamAsyncSchemaConversion: it
// opens a net.tcp session, calls Initialize… (two-way, correlated by
// a:RelatesTo, an IPAM SOAP fault becoming a *RemoteError), sends Start…
// (one-way), receives Notify…Start, Notify…Checkpoint and Notify…Complete
// (in either callback Action spelling, ipam.CallbackActionStyle), keeps the
// session alive with Keepalive messages (MS-IPAMM2 2.2.2.2, 3.2.2), and ends
// it with End records both ways.
//
// Why here. The package is the other end of what sessions serves, in a room
// of its own beside it: it imports exactly the layers below that sessions
// imports (duplex/nmf for framing, soap for envelopes, wsdl/ipam
// for the bodies) and nothing above (services, store, cmd). `ipamd
// provision`, `ipamd convert`, `ipamd status` and the load generator are
// built on it, so every client speaks through the same framing and codec
// code as the server, not through a second stack.
//
// Encoding. Binary session encoding (application/soap+msbinsession1, what
// WCF's NetTcpBinding sends) is the default; binary and SOAP 1.2 text are
// options. Outgoing binary-session messages carry an empty MC-NBFSE string
// table (00) and inline their strings, which is valid (a sender need not
// add any string) and costs only bytes; incoming tables are kept per
// session by the soap.Codec, as the server does.
//
// Cost. A session runs on its caller's goroutine: there is no goroutine per
// connection or per message. Keepalives are sent from a timer (the runtime
// runs its callback only when it fires) under the session's write lock.
// Messages are encoded into one reused buffer per session and decoded by
// one soap.Codec per session; bodies go through the wsdl/ipam types'
// WriteBody/ReadBody, without reflection.
package client
