// Package nmf is the [MC-NMF] .NET Message Framing protocol for duplex
// sessions, as spoken by WCF's NetTcpBinding (buffered transfer mode) and
// Mono's System.ServiceModel: the server (Server, Session) and, in
// client.go, the client side (Dialer, ClientSession). Both read and write
// records through one Framer (framer.go: record types, MB31, the preamble
// decoder, the byte budgets, envelope and fault readers), which the load
// generator's canned server and the tests use too, so every side speaks
// and measures the same coder. A message is opaque bytes here; SOAP and
// binary XML live in other packages.
//
// One goroutine serves each connection: it decodes the preamble (Version,
// Mode, Via, Known/Extensible Encoding, Upgrade Request*, Preamble End), asks
// the Router for a SessionHandler, writes the Preamble Ack and runs
// ServeSession, which reads Sized Envelope payloads with Session.ReadMessage.
// Any goroutine may write with Session.WriteMessage (whole records under one
// lock per connection). After a session both sides exchange End records and,
// like WCF, the server keeps reading: a pooled .NET connection may start a new
// preamble on the same socket. .NET pools the raw socket of a secured session
// too; when the upgraded stream allows it (RawReusable: NegotiateStream, not
// TLS) the connection returns to the raw socket and the next session starts
// unauthenticated and must upgrade again.
//
// Framing faults. The URI sent for each violation (CoreWCF sends a fault only
// for some of them and silently aborts on "record type mismatch"; we always
// answer with the fault associated with that stage so clients and logs get a
// reason, then End, half-close, drain up to 64 KiB for CloseTimeout, close):
//
//	first byte not Version (00), or major version != 1  UnsupportedVersion
//	Mode record missing, or mode other than duplex       UnsupportedMode
//	Via record missing; Via empty, not UTF-8, not an
//	  absolute URI                                       EndpointNotFound
//	Via longer than MaxViaLength; invalid MB31 length    ViaTooLong
//	encoding record missing (not 03/04); encoding byte
//	  > 0x0C; content type empty or not UTF-8            ContentTypeInvalid
//	content type / upgrade type > MaxContentTypeLength   ContentTypeTooLong
//	after the encoding, a record other than 09/0C;
//	  upgrade requested but not supported; a second
//	  upgrade; Preamble End without an upgrade on a
//	  listener with RequireUpgrade                       UpgradeInvalid
//	Router: unknown Via / unsupported encoding           what the Router returns
//	  (a non-fault error → EndpointUnavailable, nil handler → EndpointNotFound)
//	MaxConnections reached (sent right after accept)     ServerTooBusy
//	the address holds MaxConnectionsPerAddress (ditto)   ServerTooBusy
//	a preamble after Drain (graceful stop)               ServerTooBusy
//	mid-session Sized Envelope > MaxMessageSize, or
//	  invalid MB31 size                                  MaxMessageSizeExceededFault
//	mid-session Unsized Envelope or any other record
//	  type than 06/07 (not valid in duplex mode)         UnsupportedMode
//
// A peer that disconnects or stalls mid-preamble (PreambleTimeout) gets no
// fault, only a close: there is nobody to tell, and CoreWCF does the same.
//
// Timeouts map to WCF's: PreambleTimeout = ChannelInitializationTimeout (the
// whole preamble, so one byte every few seconds does not keep a connection
// alive), IdleTimeout = ReceiveTimeout (per record, also the idle wait for a
// reuse preamble), CloseTimeout, WriteTimeout = SendTimeout per record.
// Graceful stop: Drain closes the listeners, closes connections idle between
// sessions and refuses new preambles, while running sessions go on; Shutdown
// then cancels what is left and waits (or aborts when its context ends).
// Reconfigure swaps limits and timeouts for connections accepted later.
//
// Contexts interrupt blocking I/O by moving the socket deadline into the
// past (context.AfterFunc), so no extra goroutine runs per connection.
package nmf
