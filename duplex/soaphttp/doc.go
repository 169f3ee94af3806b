// Package soaphttp is the SOAP-over-HTTP transport of ipamd's duplex port
// types, for tools that cannot speak net.tcp (SoapUI, zeep, node-soap).
//
// A session is identified the WCF CompositeDuplex way, by a reference
// parameter: a request without an <ss:SessionId> header block (namespace
// NSSession) starts a new session, whose replies carry its session id — 256
// bits from crypto/rand — and every later request of the session must carry
// the id back; requests are handed to the session in order. The a:ReplyTo,
// the client's own callback URL, names no session: anyone may know it, and a
// request with it but without the id cannot send into or close the session.
// An id no live session of the endpoint has gets 403 with the denial
// detail; the id is compared in constant time and logged only as a digest.
// Replies and faults travel in the HTTP response (one-way operations: 202
// Accepted, empty body); Notify… callbacks are POSTed to the ReplyTo URL
// with a:To set to it and the session id as a reference parameter header. Callback delivery
// retries with back-off and, when the URL stays dead, aborts the session.
// Callback targets must lie in the configured allowed networks, checked
// when the session starts and again on every connection the callback
// client dials, so a name that later resolves elsewhere is refused too.
//
// Both SOAP 1.2 (application/soap+xml) and SOAP 1.1 (text/xml) are served
// at the same path; a session keeps the version of its first request.
// GET <path>?wsdl answers the WSDL.
//
// Every request, the WSDL's included, must address the listener: its Host
// names the address the connection reached, a loopback name when that is
// loopback, or one of Options.AllowedHosts; an Origin header, when there is
// one, must be that same server on the port the request went to. A web page
// that re-resolved its own name to 127.0.0.1 (DNS rebinding), or any other
// web origin, is refused before its request reaches a session.
//
// Requests the transport cannot hand to a session are answered here, always
// with a SOAP fault in the request's SOAP version (1.2 if unknown) and the
// status SOAP's HTTP binding gives it:
//
//	Host not naming the listener    403  s:Sender  (denial detail: IpamApiAccessDenied)
//	Origin of another web origin    403  s:Sender  (denial detail)
//	method other than GET/POST      405  s:Sender
//	no endpoint at the path         404  s:Sender  (a:EndpointUnavailable)
//	content type not SOAP           415  s:Sender
//	body over the size limit        413  s:Sender
//	envelope or header unreadable   400  the decoder's fault (500 for Receiver/MustUnderstand/VersionMismatch)
//	a:To names another endpoint     400  a:DestinationUnreachable (only the path counts)
//	no usable a:ReplyTo             400  a:MessageAddressingHeaderRequired / a:InvalidAddress
//	ss:SessionId of no live session 403  s:Sender  (denial detail)
//	more than one ss:SessionId      400  s:Sender
//	a:ReplyTo not the session's     400  a:InvalidAddress
//	connection above the caps       503  s:Receiver  (at accept, before the request is read: SOAP 1.2)
//	too many sessions               503  s:Receiver  (also: the address holds its share)
//	the session failed inside       500  s:Receiver  (a contained panic; the session is closed)
//	new session while draining      503  s:Receiver  (Drain: graceful stop)
//
// SOAP 1.1 faults always use 500 (WS-I Basic Profile R1126).
package soaphttp
