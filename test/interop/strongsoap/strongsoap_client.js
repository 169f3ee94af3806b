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
// Run by strongsoap_test.go: node strongsoap_client.js --wsdl URL --port provision|conversion

const crypto = require('crypto');
const http = require('http');
const soap = require('strong-soap').soap;

const WSA = 'http://www.w3.org/2005/08/addressing';
const SESSION = 'urn:ipamd:2026:session';
const IPAM = 'http://Microsoft.Windows.Ipam';

const PORTS = {
  provision: {
    port: 'HttpBinding_IIpamAsyncProvision',
    init: 'InitializeAsyncProvisioning',
    start: 'StartAsyncProvisioning',
    notify: 'NotifyAsyncProvision',
    // IpamProvisioningEnumerationParameters, derived from the declared
    // EnumerationParametersBase: the xsi:type is spelled out ($attributes).
    parameters: {
      $attributes: { $xsiType: { type: 'IpamProvisioningEnumerationParameters', xmlns: IPAM } },
      FetchAllData: true,
      IncludeCustomFieldValues: false,
      ObjectType: 'AsyncProvision',
      IpamProvisioningSetting: { CreateNewSchema: true, GpoPrefix: 'IPAM', ProvisioningMethod: 'Automatic' },
    },
  },
  conversion: {
    port: 'HttpBinding_IIpamAsyncSchemaConversion',
    init: 'InitializeAsyncSchemaConversion',
    start: 'StartAsyncSchemaConversion',
    notify: 'NotifyAsyncSchemaConversion',
    parameters: { FetchAllData: false, IncludeCustomFieldValues: false, ObjectType: 'AsyncSchemaConversion' },
  },
};

const t0 = Date.now();
let failures = 0;
const event = (msg) => console.log(`EVENT ${msg} t=${((Date.now() - t0) / 1000).toFixed(2)}s`);
const fail = (msg) => {
  failures++;
  console.log(`FAIL ${msg}`);
};

function parseArgs(argv) {
  const out = { timeout: 30 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    out[key] = key === 'timeout' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!out.wsdl || !PORTS[out.port]) {
    throw new Error('usage: node strongsoap_client.js --wsdl URL --port provision|conversion [--timeout seconds]');
  }
  return out;
}

// The client's callback endpoint: records every POST, answers 202.
function listen() {
  const received = [];
  let notify = () => {};
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      received.push({ path: req.url, headers: req.headers, body: Buffer.concat(chunks).toString('utf8') });
      res.writeHead(202, { 'Content-Length': '0' });
      res.end();
      notify();
    });
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const url = `http://127.0.0.1:${server.address().port}/strongsoap/callbacks`;
      const next = (i) => new Promise((r) => {
        if (received.length > i) return r();
        notify = r;
      });
      resolve({ server, url, received, next });
    });
  });
}

// setWsaHeaders replaces the client's SOAP headers with the WS-Addressing
// blocks of one request, and the session id (ss:SessionId) once the
// Initialize reply named the session: ipamd takes a request without it for
// a new session (WCF CompositeDuplex reference parameters).
function setWsaHeaders(client, action, to, replyTo, sessionId) {
  client.clearSoapHeaders();
  client.addSoapHeader(`<wsa:Action xmlns:wsa="${WSA}">${action}</wsa:Action>`);
  client.addSoapHeader(`<wsa:MessageID xmlns:wsa="${WSA}">urn:uuid:${crypto.randomUUID()}</wsa:MessageID>`);
  client.addSoapHeader(`<wsa:To xmlns:wsa="${WSA}">${to}</wsa:To>`);
  client.addSoapHeader(`<wsa:ReplyTo xmlns:wsa="${WSA}"><wsa:Address>${replyTo}</wsa:Address></wsa:ReplyTo>`);
  if (sessionId) {
    client.addSoapHeader(`<ss:SessionId xmlns:ss="${SESSION}" xmlns:wsa="${WSA}" wsa:IsReferenceParameter="true">${sessionId}</ss:SessionId>`);
  }
}

// replySessionId is the ss:SessionId of a raw reply, or ''.
function replySessionId(xml) {
  const m = /<(?:([\w.-]+):)?SessionId\b[^>]*>([^<]*)</.exec(String(xml || ''));
  return m && String(xml).includes(SESSION) ? m[2].trim() : '';
}

// Start's input is an element with an empty sequence: strong-soap writes no
// body at all for {} (ipamd then answers IpamApiInvalidParameter), so the
// wrapper element is named with an empty value.
const START_ARGS = (spec) => ({ [spec.start]: '' });

const text = (v) => (v && typeof v === 'object' ? v.$value : v);
const isNil = (v) => v == null || (typeof v === 'object' && v.$attributes && String(v.$attributes.nil) === 'true');

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const spec = PORTS[args.port];
  event(`node ${process.version} strong-soap ${require('strong-soap/package.json').version}`);

  const cb = await listen();
  try {
    const client = await new Promise((resolve, reject) =>
      soap.createClient(args.wsdl, {}, (err, c) => (err ? reject(err) : resolve(c))));
    const statuses = [];
    client.on('response', (body, response) => statuses.push(response && response.statusCode));
    const port = client.IpamService && client.IpamService[spec.port];
    if (!port || typeof port[spec.init] !== 'function' || typeof port[spec.start] !== 'function') {
      fail(`the WSDL's IpamService has no port ${spec.port} with ${spec.init} and ${spec.start}`);
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
        event(`${op} status=${statuses[statuses.length - 1]} soap=${binding.operations[op].soapVersion} result=${JSON.stringify(result)}${sessionId ? ` session=${sessionId}` : ''}`);
        return true;
      } catch (err) {
        fail(`${op}: ${err.message}${err.body ? `\n${err.body}` : ''}`);
        return false;
      }
    };
    if (!(await call(spec.init, { parameters: spec.parameters }))) return;
    if (statuses[0] !== 200) fail(`${spec.init}: HTTP ${statuses[0]}, want 200`);
    if (!sessionId) {
      fail(`${spec.init}: the reply carries no ss:SessionId`);
      return;
    }
    if (!/application\/soap\+xml/.test(String(client.lastResponseHeaders && client.lastResponseHeaders['content-type']))) {
      fail(`${spec.init}: reply is not SOAP 1.2: ${client.lastResponseHeaders && client.lastResponseHeaders['content-type']}`);
    }
    if (!(await call(spec.start, START_ARGS(spec)))) return;
    if (statuses[1] !== 202) fail(`${spec.start}: HTTP ${statuses[1]}, want 202`);

    const kinds = [];
    const sessions = new Set();
    const deadline = Date.now() + args.timeout * 1000;
    for (let i = 0; kinds[kinds.length - 1] !== 'Complete'; i++) {
      const timer = new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()), 'timeout'));
      if ((await Promise.race([cb.next(i), timer])) === 'timeout') {
        fail(`no ${spec.notify}Complete within ${args.timeout}s; got ${kinds}`);
        return;
      }
      const { path, headers, body } = cb.received[i];
      let env;
      try {
        env = client.xmlHandler.xmlToJson(null, body, null);
      } catch (err) {
        fail(`callback ${i}: strong-soap cannot parse it: ${err.message}`);
        continue;
      }
      const envelope = env.Envelope || env || {};
      const name = Object.keys(envelope.Body || {}).filter((k) => k !== '$attributes')[0] || '(none)';
      const kind = name.startsWith(spec.notify) ? name.slice(spec.notify.length) : name;
      kinds.push(kind);
      const h = envelope.Header || {};
      const action = text(h.Action);
      const session = text(h.SessionId);
      sessions.add(session);
      if (!action || !action.startsWith(`${IPAM}/`) || !action.endsWith(`/${name}`)) {
        fail(`${name}: wsa:Action ${action}`);
      }
      if (text(h.To) !== cb.url) fail(`${name}: wsa:To ${text(h.To)}, want the wsa:ReplyTo ${cb.url}`);
      if (path !== '/strongsoap/callbacks') fail(`${name}: POSTed to ${path}`);
      if (!String(headers['content-type']).startsWith('application/soap+xml')) {
        fail(`${name}: Content-Type ${headers['content-type']}, want SOAP 1.2`);
      }
      let extra = '';
      if (kind === 'Complete') {
        const exc = envelope.Body[name] && envelope.Body[name].exception;
        extra = ` exception=${isNil(exc) ? 'nil' : 'present'}`;
        if (!isNil(exc)) fail(`${name} carries an exception: ${JSON.stringify(exc)}`);
      }
      event(`${name} session=${session}${extra}`);
    }
    if (kinds.length < 3 || kinds[0] !== 'Start' || kinds.slice(1, -1).some((k) => k !== 'Checkpoint')) {
      fail(`callbacks ${kinds}, want Start, Checkpoint (one or more), Complete`);
    }
    if (sessions.size !== 1 || !sessions.has(sessionId)) {
      fail(`callbacks carry session ids ${[...sessions]}, want the Initialize reply's ${sessionId}`);
    }
    console.log(`SUMMARY callbacks=${kinds.join(',')}`);
  } finally {
    cb.server.close();
  }
}

main().then(
  () => process.exit(failures ? 1 : 0),
  (err) => {
    console.log(`FAIL ${err.stack || err}`);
    process.exit(1);
  },
);
