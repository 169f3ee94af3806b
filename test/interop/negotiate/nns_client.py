#!/usr/bin/python3
"""MC-NMF + [MS-NNS] NegotiateStream client over MIT GSSAPI (python3-gssapi).

A real third-party initiator for ipamd's application/negotiate upgrade:
the GSS context (SPNEGO or raw NTLM via gss-ntlmssp) is MIT's and
gss-ntlmssp's, not ours. It sends the MC-NMF preamble with the upgrade
request, runs the NNS handshake, then sends PreambleEnd (0C) and End (07)
inside sealed data frames and expects PreambleAck (0B) and End (07) back.
With --sessions N it then starts the next session on the same socket, as a
pooled .NET connection does: a new cleartext preamble and a new upgrade.

Exit status: 0 session completed; 3 the server sent HandshakeError (its
HRESULT is printed as "HANDSHAKE_ERROR 0x...."); 4 the server closed the
connection during the data phase (printed "CLOSED"); 1 anything else.
"""
import argparse
import socket
import struct
import sys

import gssapi
import gssapi.raw

OIDS = {
    "spnego": "1.3.6.1.5.5.2",
    "ntlm": "1.3.6.1.4.1.311.2.2.10",
    "krb5": "1.2.840.113554.1.2.2",
}
KIND = b"application/negotiate"


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("connection closed after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return buf


def mb31(n):
    out = bytearray()
    while n >= 0x80:
        out.append((n & 0x7F) | 0x80)
        n >>= 7
    out.append(n)
    return bytes(out)


def send_hs(s, msg_id, payload):
    s.sendall(struct.pack(">BBBH", msg_id, 1, 0, len(payload)) + payload)


def recv_hs(s):
    msg_id, major, minor, n = struct.unpack(">BBBH", recv_exact(s, 5))
    if (major, minor) != (1, 0):
        raise ValueError("NNS version %d.%d" % (major, minor))
    return msg_id, recv_exact(s, n)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--mech", choices=sorted(OIDS), default="spnego")
    ap.add_argument("--target", default="host@localhost")
    ap.add_argument("--via", default="net.tcp://localhost/ipam/IIpamAsyncProvision")
    ap.add_argument("--tamper", action="store_true", help="flip a bit of the first data frame")
    ap.add_argument("--sspi-layout", action="store_true",
                    help="wrap with gss_wrap_iov(HEADER, DATA): Kerberos tokens with RRC 28, as Windows SSPI sends")
    ap.add_argument("--neg-mechs", default="",
                    help="comma-separated mechanisms SPNEGO offers, in this order (gss_set_neg_mechs), e.g. ntlm,krb5")
    ap.add_argument("--sessions", type=int, default=1,
                    help="sessions one after another on the same socket, each with a new preamble and upgrade (a pooled .NET connection)")
    ap.add_argument("--timeout", type=float, default=20)
    a = ap.parse_args()

    s = socket.create_connection(("127.0.0.1", a.port), timeout=a.timeout)
    for i in range(a.sessions):
        code = run_session(s, a)
        if code != 0:
            return code
    return 0


def run_session(s, a):
    via = a.via.encode()
    s.sendall(b"\x00\x01\x00\x01\x02\x02" + mb31(len(via)) + via + b"\x03\x08\x09" + mb31(len(KIND)) + KIND)
    if recv_exact(s, 1) != b"\x0a":
        print("NO_UPGRADE_RESPONSE")
        return 1

    mech = gssapi.OID.from_int_seq(OIDS[a.mech])
    name = gssapi.Name(a.target, gssapi.NameType.hostbased_service)
    flags = [gssapi.RequirementFlag.mutual_authentication, gssapi.RequirementFlag.integrity,
             gssapi.RequirementFlag.confidentiality, gssapi.RequirementFlag.replay_detection,
             gssapi.RequirementFlag.out_of_sequence_detection]
    creds = None
    if a.neg_mechs:
        # SPNEGO lists the mechanisms in the application's order: a client
        # whose first choice the server lacks, so Kerberos comes second and
        # RFC 4178 makes the mechListMIC exchange mandatory.
        creds = gssapi.Credentials(usage="initiate", mechs=[mech])
        gssapi.raw.set_neg_mechs(creds, [gssapi.OID.from_int_seq(OIDS[m]) for m in a.neg_mechs.split(",")])
    ctx = gssapi.SecurityContext(name=name, mech=mech, usage="initiate", flags=flags, creds=creds)
    tok = ctx.step()
    send_hs(s, 0x14 if ctx.complete else 0x16, tok or b"")
    while True:
        msg_id, payload = recv_hs(s)
        if msg_id == 0x15:
            code = struct.unpack(">I", payload[4:8])[0] if len(payload) >= 8 else 0
            print("HANDSHAKE_ERROR 0x%08X" % code)
            return 3
        if not ctx.complete:
            tok = ctx.step(payload) if payload else None
            if tok:
                send_hs(s, 0x14 if ctx.complete else 0x16, tok)
        if msg_id == 0x14:
            if not ctx.complete:
                print("SERVER_DONE_BEFORE_CLIENT")
                return 1
            break
    print("AUTHENTICATED mech=%s" % a.mech)
    try:
        print("NEGOTIATED %s" % {v: k for k, v in OIDS.items()}.get(ctx.mech.dotted_form, ctx.mech.dotted_form))
    except gssapi.exceptions.GSSError:
        pass

    def wrap(data):
        if not a.sspi_layout:
            return ctx.wrap(data, True).message
        from gssapi.raw import IOV, IOVBufferType, wrap_iov
        iov = IOV(IOVBufferType.header, data, std_layout=False)
        wrap_iov(ctx, iov, confidential=True)
        return iov[0].value + iov[1].value

    def send_data(data, tamper=False):
        w = wrap(data)
        if w[:2] == b"\x05\x04":  # RFC 4121 Wrap token: report its RRC
            print("WRAP_RRC %d" % struct.unpack(">H", w[6:8])[0])
        if tamper:
            w = w[:-1] + bytes([w[-1] ^ 1])
        s.sendall(struct.pack("<I", len(w)) + w)

    def recv_data():
        (n,) = struct.unpack("<I", recv_exact(s, 4))
        return ctx.unwrap(recv_exact(s, n)).message

    try:
        send_data(b"\x0c", a.tamper)
        if recv_data() != b"\x0b":
            print("NO_PREAMBLE_ACK")
            return 1
        send_data(b"\x07")
        if recv_data() != b"\x07":
            print("NO_END")
            return 1
    except (EOFError, ConnectionResetError):
        print("CLOSED")
        return 4
    print("SESSION_OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
