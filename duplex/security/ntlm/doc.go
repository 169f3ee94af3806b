// Package ntlm is an NTLMv2 acceptor ([MS-NLMP]) for connection-oriented
// GSS use, as [MS-NNS] NegotiateStream needs it: it answers a NEGOTIATE
// message with a CHALLENGE, verifies the client's AUTHENTICATE against an
// operator-provided account store of NT hashes (NTOWFv2, NTProofStr, MIC),
// derives the session keys and then seals and signs data (GSS_WrapEx with
// extended session security, one RC4 handle per direction).
//
// Only NTLMv2 is accepted: LM and NTLMv1 responses (24-byte NT response),
// anonymous logons and clients that do not negotiate extended session
// security, signing and sealing are refused, because the protocol MS-IPAMM2
// uses requires EncryptAndSign and v1 responses are breakable offline.
//
// Every length and offset in the messages is unauthenticated input: the
// decoders check them against the message before slicing, and messages are
// bounded by MaxMessageSize.
package ntlm
