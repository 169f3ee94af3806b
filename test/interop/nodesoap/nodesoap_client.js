'use strict';
// Run one MS-IPAMM2 duplex session against ipamd's HTTP endpoint with node-soap.
//
// node-soap loads the WSDL from <endpoint>?wsdl (createClientAsync) and calls
// Initialize... and Start... on the WSDL's SOAP 1.2 HTTP port (forceSoap12Headers:
// node-soap picks SOAP 1.1 unless told). node-soap has no WS-Addressing support,
// so a header function (addSoapHeader) writes wsa:Action, wsa:MessageID, wsa:To and
// wsa:ReplyTo into every request; without wsa:Action ipamd refuses the request
// (the action in the Content-Type is not enough). An http listener here receives
// the Notify... callbacks ipamd POSTs to the wsa:ReplyTo; node-soap's own parser
// (client.wsdl.xmlToObject) reads them. The header function also sends back the
// ss:SessionId of the Initialize reply, which names the session.
//
// Output: one "EVENT ..." line per step, "FAIL ..." lines for problems; exit 0
// when the session went Initialize, Start, Notify...Start, one or more
// Notify...Checkpoint, Notify...Complete (without exception), all in one session.
// Run by nodesoap_test.go: node nodesoap_client.js --wsdl URL --port provision|conversion

const crypto = require('crypto');
const http = require('http');
const soap = require('soap');

const WSA = 'http://www.w3.org/2005/08/addressing';
const IPAM = 'http://Microsoft.Windows.Ipam';
const SESSION = 'urn:ipamd:2026:session';

const PORTS = {
  provision: {
    port: 'HttpBinding_IIpamAsyncProvision',
    init: 'InitializeAsyncProvisioning',
    start: 'StartAsyncProvisioning',
    notify: 'NotifyAsyncProvision',
    // IpamProvisioningEnumerationParameters, derived from the declared
    // EnumerationParametersBase: node-soap needs the xsi:type spelled out.
    parameters: {
      attributes: { xsi_type: { type: 'IpamProvisioningEnumerationParameters', xmlns: IPAM } },
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
    throw new Error('usage: node nodesoap_client.js --wsdl URL --port provision|conversion [--timeout seconds]');
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
      const url = `http://127.0.0.1:${server.address().port}/nodesoap/callbacks`;
      // next() resolves when a callback arrives after index i (or at once).
      const next = (i) => new Promise((r) => {
        if (received.length > i) return r();
        notify = r;
      });
      resolve({ server, url, received, next });
    });
  });
}

// wsaHeaders is node-soap's header function: called for each request with the
// operation's soapAction (the WSDL's wsaw:Action here) and the endpoint. Once
// the Initialize reply named the session (session.id), every request carries
// the id back as a reference parameter header, WCF CompositeDuplex style;
// without it ipamd takes the request for a new session.
const wsaHeaders = (replyTo, session) => (method, location, soapAction) =>
  `<wsa:Action xmlns:wsa="${WSA}">${soapAction}</wsa:Action>` +
  `<wsa:MessageID xmlns:wsa="${WSA}">urn:uuid:${crypto.randomUUID()}</wsa:MessageID>` +
  `<wsa:To xmlns:wsa="${WSA}">${location}</wsa:To>` +
  `<wsa:ReplyTo xmlns:wsa="${WSA}"><wsa:Address>${replyTo}</wsa:Address></wsa:ReplyTo>` +
  (session.id
    ? `<ss:SessionId xmlns:ss="${SESSION}" xmlns:wsa="${WSA}" wsa:IsReferenceParameter="true">${session.id}</ss:SessionId>`
    : '');

const text = (v) => (v && typeof v === 'object' ? v.$value : v);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const spec = PORTS[args.port];
  event(`node ${process.version} soap ${require('soap/package.json').version}`);

  const cb = await listen();
  try {
    const client = await soap.createClientAsync(args.wsdl, { forceSoap12Headers: true });
    const session = { id: '' };
    client.addSoapHeader(wsaHeaders(cb.url, session));
    const statuses = [];
    client.on('response', (body, response) => statuses.push(response && response.status));
    const port = client.IpamService && client.IpamService[spec.port];
    if (!port || typeof port[spec.init] !== 'function' || typeof port[spec.start] !== 'function') {
      fail(`the WSDL's IpamService has no port ${spec.port} with ${spec.init} and ${spec.start}`);
      return;
    }
    const call = async (op, input) => {
      try {
        const [result, , header] = await new Promise((resolve, reject) =>
          port[op](input, (err, res, raw, soapHeader) => (err ? reject(err) : resolve([res, raw, soapHeader]))));
        const id = text(header && header.SessionId);
        if (id && !session.id) session.id = id;
        event(`${op} status=${statuses[statuses.length - 1]} result=${JSON.stringify(result)}${id ? ` session=${id}` : ''}`);
        return true;
      } catch (err) {
        fail(`${op}: ${err.message}${err.body ? `\n${err.body}` : ''}`);
        return false;
      }
    };
    if (!(await call(spec.init, { parameters: spec.parameters }))) return;
    if (statuses[0] !== 200) fail(`${spec.init}: HTTP ${statuses[0]}, want 200`);
    if (!session.id) {
      fail(`${spec.init}: the reply carries no ss:SessionId`);
      return;
    }
    if (!(await call(spec.start, {}))) return;
    if (statuses[1] !== 202) fail(`${spec.start}: HTTP ${statuses[1]}, want 202`);

    // The callbacks' actions as the WSDL declares them on the server port
    // (ipamd's default callbacks.action_style, "service").
    const methods = client.wsdl.definitions.bindings[spec.port].methods;
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
        env = client.wsdl.xmlToObject(body);
      } catch (err) {
        fail(`callback ${i}: node-soap cannot parse it: ${err.message}`);
        continue;
      }
      const name = Object.keys(env.Body || {})[0] || '(none)';
      const kind = name.startsWith(spec.notify) ? name.slice(spec.notify.length) : name;
      kinds.push(kind);
      const h = env.Header || {};
      const action = text(h.Action);
      const session = text(h.SessionId);
      sessions.add(session);
      if (!methods[name]) {
        fail(`callback ${name} is not an operation of ${spec.port}`);
      } else if (action !== methods[name].soapAction) {
        fail(`${name}: wsa:Action ${action}, want ${methods[name].soapAction}`);
      }
      if (text(h.To) !== cb.url) fail(`${name}: wsa:To ${text(h.To)}, want the wsa:ReplyTo ${cb.url}`);
      if (path !== '/nodesoap/callbacks') fail(`${name}: POSTed to ${path}`);
      if (!String(headers['content-type']).includes(`action="${action}"`)) {
        fail(`${name}: Content-Type ${headers['content-type']} lacks the action`);
      }
      let extra = '';
      if (kind === 'Complete') {
        // node-soap reads i:nil children as null (and the whole element as
        // null when all are).
        const exc = env.Body[name] && env.Body[name].exception;
        const id = exc && exc.IpamExceptionData && exc.IpamExceptionData.ExceptionId;
        extra = ` exception=${exc == null ? 'nil' : id || 'present'}`;
        if (exc != null) fail(`${name} carries an exception`);
      }
      event(`${name} session=${session}${extra}`);
    }
    if (kinds.length < 3 || kinds[0] !== 'Start' || kinds.slice(1, -1).some((k) => k !== 'Checkpoint')) {
      fail(`callbacks ${kinds}, want Start, Checkpoint (one or more), Complete`);
    }
    if (sessions.size !== 1 || !sessions.has(session.id)) {
      fail(`callbacks carry session ids ${[...sessions]}, want the Initialize reply's ${session.id}`);
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
