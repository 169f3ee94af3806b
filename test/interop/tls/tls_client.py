#!/usr/bin/env python3
"""MC-NMF client with the application/ssl-tls upgrade over Python's ssl
module (OpenSSL): plaintext preamble up to the Upgrade Request, read the
Upgrade Response byte with an exact-length recv (no buffered reader, so no
TLS bytes are swallowed), then TLS on the same socket; inside it
PreambleEnd (0C) → PreambleAck (0B) and End (07) → End (07).

Exit 0 session completed; 4 the TLS handshake or the session was refused
(prints "REFUSED <reason>"); 1 anything else.
"""
import argparse
import socket
import ssl
import sys

KIND = b"application/ssl-tls"


def recv_exact(s, n):
    buf = b""
    while len(buf) < n:
        chunk = s.recv(n - len(buf))
        if not chunk:
            raise EOFError("closed")
        buf += chunk
    return buf


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--port", type=int, required=True)
    ap.add_argument("--ca", required=True)
    ap.add_argument("--cert")
    ap.add_argument("--key")
    a = ap.parse_args()
    via = b"net.tcp://localhost/ipam/IIpamAsyncProvision"
    s = socket.create_connection(("127.0.0.1", a.port), timeout=20)
    s.sendall(b"\x00\x01\x00\x01\x02\x02" + bytes([len(via)]) + via + b"\x03\x08\x09" + bytes([len(KIND)]) + KIND)
    if recv_exact(s, 1) != b"\x0a":
        print("NO_UPGRADE_RESPONSE")
        return 1
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.minimum_version = ssl.TLSVersion.TLSv1_2
    ctx.load_verify_locations(a.ca)
    if a.cert:
        ctx.load_cert_chain(a.cert, a.key)
    try:
        t = ctx.wrap_socket(s, server_hostname="localhost")
        print("TLS", t.version(), t.cipher()[0])
        t.sendall(b"\x0c")
        if recv_exact(t, 1) != b"\x0b":
            print("NO_PREAMBLE_ACK")
            return 1
        t.sendall(b"\x07")
        if recv_exact(t, 1) != b"\x07":
            print("NO_END")
            return 1
    except (ssl.SSLError, EOFError, ConnectionResetError) as e:
        print("REFUSED", e)
        return 4
    print("SESSION_OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
