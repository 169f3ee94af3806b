#!/usr/bin/python3
"""Run one MS-IPAMM2 duplex session against ipamd's HTTP endpoint with zeep.

zeep loads the WSDL from <endpoint>?wsdl, calls Initialize... and Start... on the
WSDL's SOAP 1.2 HTTP port, and this script's callback listener (http.server in a
thread) receives the Notify... callbacks ipamd POSTs to the session's wsa:ReplyTo.
zeep's own WS-Addressing support (switched on by the WSDL's wsaw:Action) adds
wsa:Action, wsa:MessageID and wsa:To; the Session plugin below adds wsa:ReplyTo and,
after the Initialize reply named the session, its ss:SessionId.
Each callback is deserialized with zeep against the WSDL's callback binding.

Output: one "EVENT ..." line per step, "FAIL ..." lines for problems; exit 0 when
the session went Initialize, Start, Notify...Start, one or more
Notify...Checkpoint, Notify...Complete (without exception), all in one session.
Run by zeep_test.go; usage: zeep_client.py --wsdl URL --port provision|conversion
"""

import argparse
import http.server
import queue
import sys
import threading
import time

from lxml import etree
import zeep
from zeep import Plugin
from zeep.wsdl.utils import get_or_create_header

WSA = "http://www.w3.org/2005/08/addressing"
SESSION = "urn:ipamd:2026:session"
IPAM = "http://Microsoft.Windows.Ipam"
SOAP12 = "http://www.w3.org/2003/05/soap-envelope"
XSI = "http://www.w3.org/2001/XMLSchema-instance"

PORTS = {
    "provision": {
        "port": "HttpBinding_IIpamAsyncProvision",
        "callback_binding": "HttpBinding_IIpamAsyncProvisionCallback",
        "notify": "NotifyAsyncProvision",
    },
    "conversion": {
        "port": "HttpBinding_IIpamAsyncSchemaConversion",
        "callback_binding": "HttpBinding_IIpamAsyncSchemaCallback",
        "notify": "NotifyAsyncSchemaConversion",
    },
}


class Session(Plugin):
    """The client side of an ipamd HTTP session, WCF CompositeDuplex style: adds
    wsa:ReplyTo, the callback listener's URL, to every request; keeps the session
    id (ss:SessionId) the first reply carries; and sends it back as a reference
    parameter header in every later request, without which ipamd would take the
    request for a new session."""

    def __init__(self, address):
        self.address = address
        self.session_id = None

    def egress(self, envelope, http_headers, operation, binding_options):
        header = get_or_create_header(envelope)
        reply_to = etree.SubElement(header, "{%s}ReplyTo" % WSA)
        etree.SubElement(reply_to, "{%s}Address" % WSA).text = self.address
        if self.session_id is not None:
            sid = etree.SubElement(header, "{%s}SessionId" % SESSION, nsmap={"ss": SESSION})
            sid.set("{%s}IsReferenceParameter" % WSA, "true")
            sid.text = self.session_id
        return envelope, http_headers

    def ingress(self, envelope, http_headers, operation):
        sid = header_text(envelope, SESSION, "SessionId")
        if sid and self.session_id is None:
            self.session_id = sid
        return envelope, http_headers


class Listener:
    """The client's callback endpoint: records every POST, answers 202."""

    def __init__(self):
        self.received = queue.Queue()
        received = self.received

        class Handler(http.server.BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                received.put((self.path, dict(self.headers), body))
                self.send_response(202)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = "http://127.0.0.1:%d/zeep/callbacks" % self.server.server_address[1]

    def close(self):
        self.server.shutdown()
        self.server.server_close()


T0 = time.monotonic()


def event(msg):
    print("EVENT %s t=%.2fs" % (msg, time.monotonic() - T0), flush=True)


class Failures:
    def __init__(self):
        self.count = 0

    def __call__(self, msg):
        self.count += 1
        print("FAIL " + msg, flush=True)


def header_text(env, ns, name):
    """The trimmed text of a SOAP 1.2 header block, or None."""
    h = env.find("{%s}Header/{%s}%s" % (SOAP12, ns, name))
    return None if h is None else (h.text or "").strip()


def parameters(client, port):
    """The Initialize parameters a WCF client sends, built from the WSDL's types."""
    if port == "provision":
        params = client.get_type("{%s}IpamProvisioningEnumerationParameters" % IPAM)
        setting = client.get_type("{%s}IpamProvisioningSetting" % IPAM)
        return params(
            FetchAllData=True,
            IncludeCustomFieldValues=False,
            ObjectType="AsyncProvision",
            IpamProvisioningSetting=setting(CreateNewSchema=True, GpoPrefix="IPAM", ProvisioningMethod="Automatic"),
        )
    params = client.get_type("{%s}EnumerationParametersBase" % IPAM)
    return params(FetchAllData=False, IncludeCustomFieldValues=False, ObjectType="AsyncSchemaConversion")


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsdl", required=True, help="ipamd endpoint URL + ?wsdl")
    ap.add_argument("--port", required=True, choices=sorted(PORTS))
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for Notify...Complete")
    args = ap.parse_args()
    spec = PORTS[args.port]
    fail = Failures()
    event("zeep %s" % zeep.__version__)

    listener = Listener()
    try:
        client_session = Session(listener.url)
        client = zeep.Client(args.wsdl, plugins=[client_session])
        service = client.bind("IpamService", spec["port"])
        binding = client.wsdl.bindings["{%s}%s" % (IPAM, spec["port"])]
        callback_binding = client.wsdl.bindings["{%s}%s" % (IPAM, spec["callback_binding"])]
        # The client-callable operations: those with an input message.
        callable_ops = sorted(name for name, op in binding._operations.items() if op.input is not None)
        if len(callable_ops) != 2 or not callable_ops[0].startswith("Initialize") or not callable_ops[1].startswith("Start"):
            fail("the WSDL port %s offers %s; want Initialize..., Start..." % (spec["port"], callable_ops))
            return 1
        init_op, start_op = callable_ops

        try:
            result = getattr(service, init_op)(parameters=parameters(client, args.port))
        except zeep.exceptions.Fault as f:
            fail("%s: SOAP fault %s: %s" % (init_op, f.code, f.message))
            return 1
        event("%s result=%r session=%s" % (init_op, result, client_session.session_id))
        if not client_session.session_id:
            fail("%s: the reply carries no ss:SessionId" % init_op)
            return 1
        try:
            result = getattr(service, start_op)()
        except zeep.exceptions.Fault as f:
            fail("%s: SOAP fault %s: %s" % (start_op, f.code, f.message))
            return 1
        event("%s result=%r" % (start_op, result))

        # The actions a callback may carry: the server port type's output
        # (ipamd's default, callbacks.action_style=service) or the callback
        # port type's input, both from the WSDL.
        allowed = {}
        for kind in ("Start", "Checkpoint", "Complete"):
            name = spec["notify"] + kind
            allowed[name] = {binding.get(name).soapaction, callback_binding.get(name).abstract.wsa_action}

        kinds, sessions = [], set()
        deadline = time.monotonic() + args.timeout
        while not kinds or kinds[-1] != "Complete":
            try:
                path, headers, body = listener.received.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                fail("no %sComplete within %gs; got %s" % (spec["notify"], args.timeout, kinds))
                return 1
            env = etree.fromstring(body)
            op = env.find("{%s}Body/*" % SOAP12)
            name = etree.QName(op).localname if op is not None else "(none)"
            kind = name[len(spec["notify"]):] if name.startswith(spec["notify"]) else name
            kinds.append(kind)
            action = header_text(env, WSA, "Action")
            to = header_text(env, WSA, "To")
            session = header_text(env, SESSION, "SessionId")
            sessions.add(session)
            if name not in allowed:
                fail("callback %s is not a %s... operation" % (name, spec["notify"]))
                continue
            if action not in allowed[name]:
                fail("%s: wsa:Action %s, want one of %s" % (name, action, sorted(allowed[name])))
            if to != listener.url:
                fail("%s: wsa:To %s, want the wsa:ReplyTo %s" % (name, to, listener.url))
            if path != "/zeep/callbacks":
                fail("%s: POSTed to %s" % (name, path))
            if 'action="%s"' % action not in headers.get("Content-Type", ""):
                fail("%s: Content-Type %r lacks the action" % (name, headers.get("Content-Type")))
            # zeep must be able to read the callback as the WSDL's callback
            # operation declares it.
            try:
                callback_binding.get(name).input.deserialize(env)
            except Exception as e:  # noqa: BLE001 - any zeep error is a finding
                fail("%s: zeep cannot deserialize it: %s" % (name, e))
            extra = ""
            if kind == "Complete":
                # zeep 4.2 does not map xsi:nil on complex types to None; read it.
                exc = op.find("{%s}exception" % IPAM)
                nil = exc is not None and exc.get("{%s}nil" % XSI) == "true"
                exc_id = exc.find(".//{%s}ExceptionId" % IPAM) if exc is not None else None
                extra = " exception=%s" % ("nil" if nil else exc_id.text if exc_id is not None else "present")
                if not nil:
                    fail("%s carries an exception" % name)
            event("%s session=%s%s" % (name, session, extra))

        if len(kinds) < 3 or kinds[0] != "Start" or any(k != "Checkpoint" for k in kinds[1:-1]):
            fail("callbacks %s, want Start, Checkpoint (one or more), Complete" % kinds)
        if sessions != {client_session.session_id}:
            fail("callbacks carry session ids %s, want the Initialize reply's %s" % (sorted(map(str, sessions)), client_session.session_id))
        print("SUMMARY callbacks=%s" % ",".join(kinds), flush=True)
        return 1 if fail.count else 0
    finally:
        listener.close()


if __name__ == "__main__":
    sys.exit(main())
