'use strict';
// Run one MS-IPAMM2 duplex session against ipamd's HTTP endpoint with
// strong-soap (a second WSDL-driven client beside node-soap and zeep).
//
// strong-soap loads the WSDL from <endpoint>?wsdl unchanged (createClient)
// and calls Initialize... and Start... on the WSDL's SOAP 1.2 HTTP port: it
// takes the SOAP version from the binding (soap12:binding), so no option
// forces it. It has no WS-Addressing support, so the WS-A headers are added
// as XML header blocks (addSoapHeader with a string) before each call: a
// fresh wsa:MessageID every time, and after Initialize the ss:SessionId its
// reply carried, which names the session. A listener here receives the Notify...
// callbacks ipamd POSTs to the wsa:ReplyTo; strong-soap's own XML handler
// (client.xmlHandler.xmlToJson) reads them.
//
// Output: one "EVENT ..." line per step, "FAIL ..." lines for problems; exit 0
// when the session went Initialize, Start, Notify...Start, one or more
// Notify...Checkpoint, Notify...Complete (without exception), all in one session.
// What this client shares with nodesoap_client.js is in
// test/internal/peer/soapsession.js.
// Run by strongsoap_test.go: node strongsoap_client.js --wsdl URL --port provision|conversion

const soap = require('strong-soap').soap;
const s = require('../../internal/peer/soapsession.js');

// The xsi:type of the derived parameters is spelled out ($attributes).
const PORTS = s.ports((type) => ({ $attributes: { $xsiType: { type, xmlns: s.IPAM } } }));

// setWsaHeaders replaces the client's SOAP headers with the WS-Addressing
// blocks of one request (soapsession.wsaHeaders).
function setWsaHeaders(client, action, to, replyTo, sessionId) {
  client.clearSoapHeaders();
  for (const h of s.wsaHeaders(action, to, replyTo, sessionId)) client.addSoapHeader(h);
}

// replySessionId is the ss:SessionId of a raw reply, or ''.
function replySessionId(xml) {
  const m = /<(?:([\w.-]+):)?SessionId\b[^>]*>([^<]*)</.exec(String(xml || ''));
  return m && String(xml).includes(s.SESSION) ? m[2].trim() : '';
}

// Start's input is an element with an empty sequence: strong-soap writes no
// body at all for {} (ipamd then answers IpamApiInvalidParameter), so the
// wrapper element is named with an empty value.
const START_ARGS = (spec) => ({ [spec.start]: '' });

const isNil = (v) => v == null || (typeof v === 'object' && v.$attributes && String(v.$attributes.nil) === 'true');

async function main() {
  const args = s.parseArgs(process.argv.slice(2), 'strongsoap_client.js', PORTS);
  const spec = PORTS[args.port];
  s.event(`node ${process.version} strong-soap ${require('strong-soap/package.json').version}`);

  const cb = await s.listen('strongsoap');
  try {
    const client = await new Promise((resolve, reject) =>
      soap.createClient(args.wsdl, {}, (err, c) => (err ? reject(err) : resolve(c))));
    const statuses = [];
    client.on('response', (body, response) => statuses.push(response && response.statusCode));
    const port = client.IpamService && client.IpamService[spec.port];
    if (!port || typeof port[spec.init] !== 'function' || typeof port[spec.start] !== 'function') {
      s.fail(`the WSDL's IpamService has no port ${spec.port} with ${spec.init} and ${spec.start}`);
      return;
    }
    const binding = client.wsdl.definitions.bindings[spec.port];
    const endpoint = client.wsdl.definitions.services.IpamService.ports[spec.port].location;
    let sessionId = '';
    const call = async (op, input) => {
      const action = binding.operations[op].soapAction;
      setWsaHeaders(client, action, endpoint, cb.url, sessionId);
      try {
        const result = await new Promise((resolve, reject) =>
          port[op](input, (err, res) => (err ? reject(err) : resolve(res))));
        if (!sessionId) sessionId = replySessionId(client.lastResponse);
        s.event(`${op} status=${statuses[statuses.length - 1]} soap=${binding.operations[op].soapVersion} result=${JSON.stringify(result)}${sessionId ? ` session=${sessionId}` : ''}`);
        return true;
      } catch (err) {
        s.fail(`${op}: ${err.message}${err.body ? `\n${err.body}` : ''}`);
        return false;
      }
    };
    if (!(await call(spec.init, { parameters: spec.parameters }))) return;
    if (statuses[0] !== 200) s.fail(`${spec.init}: HTTP ${statuses[0]}, want 200`);
    if (!sessionId) {
      s.fail(`${spec.init}: the reply carries no ss:SessionId`);
      return;
    }
    if (!/application\/soap\+xml/.test(String(client.lastResponseHeaders && client.lastResponseHeaders['content-type']))) {
      s.fail(`${spec.init}: reply is not SOAP 1.2: ${client.lastResponseHeaders && client.lastResponseHeaders['content-type']}`);
    }
    if (!(await call(spec.start, START_ARGS(spec)))) return;
    if (statuses[1] !== 202) s.fail(`${spec.start}: HTTP ${statuses[1]}, want 202`);

    await s.followCallbacks({
      cb, spec, timeout: args.timeout, sessionId, library: 'strong-soap',
      parse: (body) => {
        const env = client.xmlHandler.xmlToJson(null, body, null);
        return env.Envelope || env || {};
      },
      check: (name, kind, h, headers, element) => {
        const action = s.text(h.Action);
        if (!action || !action.startsWith(`${s.IPAM}/`) || !action.endsWith(`/${name}`)) {
          s.fail(`${name}: wsa:Action ${action}`);
        }
        if (!String(headers['content-type']).startsWith('application/soap+xml')) {
          s.fail(`${name}: Content-Type ${headers['content-type']}, want SOAP 1.2`);
        }
        if (kind !== 'Complete') return '';
        const exc = element && element.exception;
        if (!isNil(exc)) s.fail(`${name} carries an exception: ${JSON.stringify(exc)}`);
        return ` exception=${isNil(exc) ? 'nil' : 'present'}`;
      },
    });
  } finally {
    cb.server.close();
  }
}

s.run(main);
