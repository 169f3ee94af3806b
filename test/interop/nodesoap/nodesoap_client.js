'use strict';
// Run one MS-IPAMM2 duplex session against ipamd's HTTP endpoint with node-soap.
//
// node-soap loads the WSDL from <endpoint>?wsdl (createClientAsync) and calls
// Initialize... and Start... on the WSDL's SOAP 1.2 HTTP port (forceSoap12Headers:
// node-soap picks SOAP 1.1 unless told). node-soap has no WS-Addressing support,
// so a header function (addSoapHeader) writes the WS-Addressing blocks
// (soapsession.wsaHeaders) into every request. An http listener here receives
// the Notify... callbacks ipamd POSTs to the wsa:ReplyTo; node-soap's own parser
// (client.wsdl.xmlToObject) reads them.
//
// Output: one "EVENT ..." line per step, "FAIL ..." lines for problems; exit 0
// when the session went Initialize, Start, Notify...Start, one or more
// Notify...Checkpoint, Notify...Complete (without exception), all in one session.
// What this client shares with strongsoap_client.js is in
// test/internal/peer/soapsession.js.
// Run by nodesoap_test.go: node nodesoap_client.js --wsdl URL --port provision|conversion

const soap = require('soap');
const s = require('../../internal/peer/soapsession.js');

// node-soap needs the xsi:type of the derived parameters spelled out.
const PORTS = s.ports((type) => ({ attributes: { xsi_type: { type, xmlns: s.IPAM } } }));

async function main() {
  const args = s.parseArgs(process.argv.slice(2), 'nodesoap_client.js', PORTS);
  const spec = PORTS[args.port];
  s.event(`node ${process.version} soap ${require('soap/package.json').version}`);

  const cb = await s.listen('nodesoap');
  try {
    const client = await soap.createClientAsync(args.wsdl, { forceSoap12Headers: true });
    const session = { id: '' };
    // node-soap calls the header function for each request with the
    // operation's soapAction (the WSDL's wsaw:Action here) and the endpoint.
    client.addSoapHeader((method, location, soapAction) =>
      s.wsaHeaders(soapAction, location, cb.url, session.id).join(''));
    const statuses = [];
    client.on('response', (body, response) => statuses.push(response && response.status));
    const port = client.IpamService && client.IpamService[spec.port];
    if (!port || typeof port[spec.init] !== 'function' || typeof port[spec.start] !== 'function') {
      s.fail(`the WSDL's IpamService has no port ${spec.port} with ${spec.init} and ${spec.start}`);
      return;
    }
    const call = async (op, input) => {
      try {
        const [result, , header] = await new Promise((resolve, reject) =>
          port[op](input, (err, res, raw, soapHeader) => (err ? reject(err) : resolve([res, raw, soapHeader]))));
        const id = s.text(header && header.SessionId);
        if (id && !session.id) session.id = id;
        s.event(`${op} status=${statuses[statuses.length - 1]} result=${JSON.stringify(result)}${id ? ` session=${id}` : ''}`);
        return true;
      } catch (err) {
        s.fail(`${op}: ${err.message}${err.body ? `\n${err.body}` : ''}`);
        return false;
      }
    };
    if (!(await call(spec.init, { parameters: spec.parameters }))) return;
    if (statuses[0] !== 200) s.fail(`${spec.init}: HTTP ${statuses[0]}, want 200`);
    if (!session.id) {
      s.fail(`${spec.init}: the reply carries no ss:SessionId`);
      return;
    }
    if (!(await call(spec.start, {}))) return;
    if (statuses[1] !== 202) s.fail(`${spec.start}: HTTP ${statuses[1]}, want 202`);

    // The callbacks' actions as the WSDL declares them on the server port
    // (ipamd's default callbacks.action_style, "service").
    const methods = client.wsdl.definitions.bindings[spec.port].methods;
    await s.followCallbacks({
      cb, spec, timeout: args.timeout, sessionId: session.id, library: 'node-soap',
      parse: (body) => client.wsdl.xmlToObject(body),
      check: (name, kind, h, headers, element) => {
        const action = s.text(h.Action);
        if (!methods[name]) {
          s.fail(`callback ${name} is not an operation of ${spec.port}`);
        } else if (action !== methods[name].soapAction) {
          s.fail(`${name}: wsa:Action ${action}, want ${methods[name].soapAction}`);
        }
        if (!String(headers['content-type']).includes(`action="${action}"`)) {
          s.fail(`${name}: Content-Type ${headers['content-type']} lacks the action`);
        }
        if (kind !== 'Complete') return '';
        // node-soap reads i:nil children as null (and the whole element as
        // null when all are).
        const exc = element && element.exception;
        const id = exc && exc.IpamExceptionData && exc.IpamExceptionData.ExceptionId;
        if (exc != null) s.fail(`${name} carries an exception`);
        return ` exception=${exc == null ? 'nil' : id || 'present'}`;
      },
    });
  } finally {
    cb.server.close();
  }
}

s.run(main);
