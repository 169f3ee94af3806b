// Package soaphttp is the SOAP-over-HTTP transport of ipamd's duplex port
// types, for tools that cannot speak net.tcp (SoapUI, zeep, node-soap).
//
// A session is identified the WCF CompositeDuplex way: every request of a
// session carries the same a:ReplyTo, the client's own callback URL. The
// first request with a new (endpoint, ReplyTo) pair starts a session; later
// ones are handed to it in order. Replies and faults travel in the HTTP
// response (one-way operations: 202 Accepted, empty body); Notify…
// callbacks are POSTed to the ReplyTo URL with a:To set to it and the
// session's identifier as a reference parameter header. Callback delivery
// retries with back-off and, when the URL stays dead, aborts the session.
// Callback targets must lie in the configured allowed networks, checked
// when the session starts and again on every connection the callback
// client dials, so a name that later resolves elsewhere is refused too.
//
// Both SOAP 1.2 (application/soap+xml) and SOAP 1.1 (text/xml) are served
// at the same path; a session keeps the version of its first request.
// GET <path>?wsdl answers the WSDL.
//
// Requests the transport cannot hand to a session are answered here, always
// with a SOAP fault in the request's SOAP version (1.2 if unknown) and the
// status SOAP's HTTP binding gives it:
//
//	method other than GET/POST      405  s:Sender
//	no endpoint at the path         404  s:Sender  (a:EndpointUnavailable)
//	content type not SOAP           415  s:Sender
//	body over the size limit        413  s:Sender
//	envelope or header unreadable   400  the decoder's fault (500 for Receiver/MustUnderstand/VersionMismatch)
//	a:To names another endpoint     400  a:DestinationUnreachable (only the path counts)
//	no usable a:ReplyTo             400  a:MessageAddressingHeaderRequired / a:InvalidAddress
//	connection above the caps       503  s:Receiver  (at accept, before the request is read: SOAP 1.2)
//	too many sessions               503  s:Receiver  (also: the address holds its share)
//	the session failed inside       500  s:Receiver  (a contained panic; the session is closed)
//	new session while draining      503  s:Receiver  (Drain: graceful stop)
//
// SOAP 1.1 faults always use 500 (WS-I Basic Profile R1126).
package soaphttp
