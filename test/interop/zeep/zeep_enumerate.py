#!/usr/bin/python3
"""Run one IIpamEnumerator enumeration against ipamd's HTTP endpoint with zeep.

zeep loads the WSDL from <endpoint>?wsdl and calls InitializeEnumeration (the
parameter type --params names, built from the WSDL's types, so zeep writes its
xsi:type) and StartEnumeration on the WSDL's SOAP 1.2 HTTP port
HttpBinding_IIpamEnumerator; this script's callback listener (zeep_client.py's)
receives NotifyEnumerationStart, EnumeratedRowsCallback x n and
NotifyEnumerationComplete at the session's wsa:ReplyTo. Every callback is
deserialized with zeep against the WSDL's callback binding, the rows too: the
WSDL declares the row types, so zeep builds each row as the type its i:type
names. Each row is also read from the XML (its i:type, RecordId, and its key:
StartIPAddress of a block or subnet, decoded from sysnet:IPAddress's
little-endian m_Address or its m_Numbers; Name otherwise), and the two
readings must agree.

Output: "EVENT ..." lines, one "ROW <i:type> <RecordId> <key>" line per row (as
zeep deserialized it),
"FAIL ..." lines for problems; exit 0 when the session went Initialize, Start,
NotifyEnumerationStart, EnumeratedRowsCallback (zero or more),
NotifyEnumerationComplete without exception, all in one session, and each
message's z:Id numbering started at i1.
Run by zeep_test.go; usage: zeep_enumerate.py --wsdl URL --params subnets|spaces|groups|spacesfilter|rangesfilter
"""

import argparse
import ipaddress
import queue
import struct
import sys
import time

import zeep
from zeep import xsd

from zeep_client import IPAM, SESSION, SOAP12, WSA, XSI, Failures, Listener, Session, event, header_text

from lxml import etree

SYSNET = "http://schemas.datacontract.org/2004/07/System.Net"
SYS = "http://schemas.datacontract.org/2004/07/System"
ARRAYS = "http://schemas.microsoft.com/2003/10/Serialization/Arrays"
SER = "http://schemas.microsoft.com/2003/10/Serialization/"


def parameters(client, which):
    """The Initialize parameters, built from the WSDL's types."""
    if which == "subnets":
        t = client.get_type("{%s}IpamIPSubnetsByVirtualizationTypeEnumerationParameters" % IPAM)
        return t(FetchAllData=True, IncludeCustomFieldValues=True, ObjectType="IPSubnet",
                 AddressFamily="InterNetwork", EmptySubnetsOnly=False, VirtualizationType=None)
    if which == "spacesfilter":
        # FilterInfo: the tuple's m_Item2 is xsd:anyType, so zeep writes the
        # value with the i:type of the XSD type it is given.
        tuple_type = client.get_type("{%s}TupleOfGetAddressSpaceFilteranyType2zwQHvQz" % SYS)
        array_type = client.get_type("{%s}ArrayOfTupleOfGetAddressSpaceFilteranyType2zwQHvQz" % SYS)
        criterion = tuple_type(m_Item1="IPAddressSpaceType", m_Item2=xsd.AnyObject(xsd.String(), "Provider"))
        t = client.get_type("{%s}AddressSpaceByFilterEnumerationParameters" % IPAM)
        return t(FetchAllData=True, IncludeCustomFieldValues=True, ObjectType="AddressSpace",
                 FilterInfo=array_type(TupleOfGetAddressSpaceFilteranyType2zwQHvQz=[criterion]))
    if which == "rangesfilter":
        # IPRangeByFilter: the value typed xsd:long by zeep (AddressSpaceId).
        tuple_type = client.get_type("{%s}TupleOfGetIPRangeFilteranyType2zwQHvQz" % SYS)
        array_type = client.get_type("{%s}ArrayOfTupleOfGetIPRangeFilteranyType2zwQHvQz" % SYS)
        criterion = tuple_type(m_Item1="AddressSpaceId", m_Item2=xsd.AnyObject(xsd.Long(), 1))
        t = client.get_type("{%s}IPRangeByFilterEnumerationParameters" % IPAM)
        return t(FetchAllData=True, IncludeCustomFieldValues=True, ObjectType="IPRange", AddressFamily="InterNetwork",
                 FilterInfo=array_type(TupleOfGetIPRangeFilteranyType2zwQHvQz=[criterion]))
    if which == "groups":
        t = client.get_type("{%s}LogicalGroupsEnumerationParameters" % IPAM)
        return t(FetchAllData=True, IncludeCustomFieldValues=True, ObjectType="LogicalGroup",
                 AddressFamily="InterNetwork", LogicalGroupName=None, LogicalGroupType="Range")
    t = client.get_type("{%s}AddressSpaceEnumerationParameters" % IPAM)
    return t(FetchAllData=True, IncludeCustomFieldValues=True, ObjectType="AddressSpace", AddressSpaceType=None)


def ip_address(el):
    """The text form of a sysnet:IPAddress element."""
    family = el.findtext("{%s}m_Family" % SYSNET)
    if family == "InterNetwork":
        v = int(el.findtext("{%s}m_Address" % SYSNET))
        return str(ipaddress.IPv4Address(struct.pack("<I", v)))
    nums = [int(n.text) for n in el.find("{%s}m_Numbers" % SYSNET).findall("{%s}unsignedShort" % ARRAYS)]
    return str(ipaddress.IPv6Address(struct.pack(">8H", *nums)))


def zeep_key(row):
    """The key of a row zeep deserialized: its StartIPAddress, else its Name."""
    start = getattr(row, "StartIPAddress", None) if "StartIPAddress" in row else None
    if start is None:
        return row.Name
    if start.m_Family == "InterNetwork":
        return str(ipaddress.IPv4Address(struct.pack("<I", start.m_Address)))
    return str(ipaddress.IPv6Address(struct.pack(">8H", *start.m_Numbers.unsignedShort)))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--wsdl", required=True, help="ipamd IIpamEnumerator endpoint URL + ?wsdl")
    ap.add_argument("--params", required=True, choices=["subnets", "spaces", "groups", "spacesfilter", "rangesfilter"])
    ap.add_argument("--timeout", type=float, default=30, help="seconds to wait for NotifyEnumerationComplete")
    args = ap.parse_args()
    fail = Failures()
    event("zeep %s" % zeep.__version__)

    listener = Listener()
    try:
        session = Session(listener.url)
        client = zeep.Client(args.wsdl, plugins=[session])
        service = client.bind("IpamService", "HttpBinding_IIpamEnumerator")
        binding = client.wsdl.bindings["{%s}HttpBinding_IIpamEnumerator" % IPAM]
        callback_binding = client.wsdl.bindings["{%s}HttpBinding_IIpamEnumeratorCallback" % IPAM]
        try:
            result = service.InitializeEnumeration(parameters=parameters(client, args.params))
        except zeep.exceptions.Fault as f:
            fail("InitializeEnumeration: SOAP fault %s: %s" % (f.code, f.message))
            return 1
        event("InitializeEnumeration result=%r session=%s" % (result, session.session_id))
        if not session.session_id:
            fail("InitializeEnumeration: the reply carries no ss:SessionId")
            return 1
        try:
            service.StartEnumeration()
        except zeep.exceptions.Fault as f:
            fail("StartEnumeration: SOAP fault %s: %s" % (f.code, f.message))
            return 1
        event("StartEnumeration")

        allowed = {}
        for name in ("NotifyEnumerationStart", "EnumeratedRowsCallback", "NotifyEnumerationComplete"):
            allowed[name] = {binding.get(name).soapaction, callback_binding.get(name).abstract.wsa_action}
        names, sessions, rows = [], set(), 0
        deadline = time.monotonic() + args.timeout
        while not names or names[-1] != "NotifyEnumerationComplete":
            try:
                path, headers, body = listener.received.get(timeout=max(0.0, deadline - time.monotonic()))
            except queue.Empty:
                fail("no NotifyEnumerationComplete within %gs; got %s" % (args.timeout, names))
                return 1
            env = etree.fromstring(body)
            op = env.find("{%s}Body/*" % SOAP12)
            name = etree.QName(op).localname if op is not None else "(none)"
            names.append(name)
            sessions.add(header_text(env, SESSION, "SessionId"))
            action = header_text(env, WSA, "Action")
            if name not in allowed:
                fail("callback %s is not an IIpamEnumerator callback" % name)
                continue
            if action not in allowed[name]:
                fail("%s: wsa:Action %s, want one of %s" % (name, action, sorted(allowed[name])))
            if header_text(env, WSA, "To") != listener.url:
                fail("%s: wsa:To is not the wsa:ReplyTo" % name)
            if name == "EnumeratedRowsCallback":
                items = op.findall("{%s}data/{%s}IpamObject" % (IPAM, IPAM))
                ids = [el.get("{%s}Id" % SER) for el in op.iter() if el.get("{%s}Id" % SER)]
                if ids[:1] != ["i1"] or ids != ["i%d" % (i + 1) for i in range(len(ids))]:
                    fail("z:Id numbering %s does not run from i1 in this message" % ids[:5])
                from_xml = []
                for it in items:
                    typ = it.get("{%s}type" % XSI)
                    rid = it.findtext("{%s}RecordId" % IPAM)
                    start = it.find("{%s}StartIPAddress" % IPAM)
                    key = ip_address(start) if start is not None else it.findtext("{%s}Name" % IPAM)
                    from_xml.append("%s %s %s" % (typ, rid, key))
                try:
                    data = callback_binding.get(name).input.deserialize(env)
                except Exception as e:  # noqa: BLE001 - any zeep error is a finding
                    fail("EnumeratedRowsCallback: zeep cannot deserialize the rows: %s" % e)
                    continue
                from_zeep = ["%s %s %s" % (r._xsd_type.qname.localname, r.RecordId, zeep_key(r)) for r in (data or [])]
                if from_zeep != from_xml:
                    fail("zeep's rows %s differ from the XML's %s" % (from_zeep[:3], from_xml[:3]))
                for r in from_zeep:
                    print("ROW %s" % r, flush=True)
                rows += len(items)
                event("EnumeratedRowsCallback rows=%d bytes=%d" % (len(items), len(body)))
                continue
            try:
                callback_binding.get(name).input.deserialize(env)
            except Exception as e:  # noqa: BLE001 - any zeep error is a finding
                fail("%s: zeep cannot deserialize it: %s" % (name, e))
            extra = ""
            if name == "NotifyEnumerationComplete":
                exc = op.find("{%s}exception" % IPAM)
                nil = exc is not None and exc.get("{%s}nil" % XSI) == "true"
                if exc is not None and not nil:
                    fail("NotifyEnumerationComplete carries an exception: %s" % etree.tostring(exc)[:300])
                extra = " exception=%s" % ("nil" if exc is None or nil else "present")
            event("%s%s" % (name, extra))
        if names[0] != "NotifyEnumerationStart" or any(n != "EnumeratedRowsCallback" for n in names[1:-1]):
            fail("callbacks %s, want Start, rows (zero or more), Complete" % names)
        if sessions != {session.session_id}:
            fail("callbacks carry session ids %s, want %s" % (sorted(map(str, sessions)), session.session_id))
        print("SUMMARY callbacks=%d rows=%d" % (len(names), rows), flush=True)
        return 1 if fail.count else 0
    finally:
        listener.close()


if __name__ == "__main__":
    sys.exit(main())
