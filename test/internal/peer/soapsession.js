'use strict';
// What the WSDL-driven JavaScript peers (test/interop/nodesoap and
// test/interop/strongsoap) share: the two port types' operations, the
// output protocol peer.Run reads (EVENT / FAIL / SUMMARY lines), the
// command line, the callback listener, the WS-Addressing header blocks the
// libraries do not write themselves, and the check of the callback sequence.
// Each client keeps only what its library does differently.

const crypto = require('crypto');
const http = require('http');

const WSA = 'http://www.w3.org/2005/08/addressing';
const IPAM = 'http://Microsoft.Windows.Ipam';
const SESSION = 'urn:ipamd:2026:session';

// ports returns the two port types' operations; xsiType(type) is the
// library's spelling of an xsi:type attribute on the provisioning
// parameters (derived from the declared EnumerationParametersBase).
function ports(xsiType) {
  return {
    provision: {
      port: 'HttpBinding_IIpamAsyncProvision',
      init: 'InitializeAsyncProvisioning',
      start: 'StartAsyncProvisioning',
      notify: 'NotifyAsyncProvision',
      parameters: {
        ...xsiType('IpamProvisioningEnumerationParameters'),
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
}

const t0 = Date.now();
let failures = 0;
const event = (msg) => console.log(`EVENT ${msg} t=${((Date.now() - t0) / 1000).toFixed(2)}s`);
const fail = (msg) => {
  failures++;
  console.log(`FAIL ${msg}`);
};

// parseArgs reads --wsdl URL --port provision|conversion [--timeout seconds].
function parseArgs(argv, script, known) {
  const out = { timeout: 30 };
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i].replace(/^--/, '');
    out[key] = key === 'timeout' ? Number(argv[i + 1]) : argv[i + 1];
  }
  if (!out.wsdl || !known[out.port]) {
    throw new Error(`usage: node ${script} --wsdl URL --port provision|conversion [--timeout seconds]`);
  }
  return out;
}

// listen starts the client's callback endpoint at /name/callbacks: it
// records every POST and answers 202.
function listen(name) {
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
      const path = `/${name}/callbacks`;
      const url = `http://127.0.0.1:${server.address().port}${path}`;
      // next() resolves when a callback arrives after index i (or at once).
      const next = (i) => new Promise((r) => {
        if (received.length > i) return r();
        notify = r;
      });
      resolve({ server, url, path, received, next });
    });
  });
}

// wsaHeaders are the WS-Addressing header blocks of one request: a fresh
// wsa:MessageID every time and, once the Initialize reply named the session,
// its ss:SessionId as a reference parameter (WCF CompositeDuplex style);
// ipamd takes a request without it for a new session, and refuses one
// without wsa:Action (the action in the Content-Type is not enough).
const wsaHeaders = (action, to, replyTo, sessionId) => [
  `<wsa:Action xmlns:wsa="${WSA}">${action}</wsa:Action>`,
  `<wsa:MessageID xmlns:wsa="${WSA}">urn:uuid:${crypto.randomUUID()}</wsa:MessageID>`,
  `<wsa:To xmlns:wsa="${WSA}">${to}</wsa:To>`,
  `<wsa:ReplyTo xmlns:wsa="${WSA}"><wsa:Address>${replyTo}</wsa:Address></wsa:ReplyTo>`,
  ...(sessionId
    ? [`<ss:SessionId xmlns:ss="${SESSION}" xmlns:wsa="${WSA}" wsa:IsReferenceParameter="true">${sessionId}</ss:SessionId>`]
    : []),
];

const text = (v) => (v && typeof v === 'object' ? v.$value : v);

// followCallbacks reads the callbacks until Notify...Complete or the
// timeout and checks the sequence: Start, one or more Checkpoint, Complete,
// all to the wsa:ReplyTo, all in the Initialize reply's session. parse(body)
// returns the envelope's { Header, Body } (or throws); check(name, kind,
// header, httpHeaders, element) makes the library's own checks and returns
// extra text for the event line.
async function followCallbacks({ cb, spec, timeout, sessionId, library, parse, check }) {
  const kinds = [];
  const sessions = new Set();
  const deadline = Date.now() + timeout * 1000;
  for (let i = 0; kinds[kinds.length - 1] !== 'Complete'; i++) {
    const timer = new Promise((r) => setTimeout(r, Math.max(0, deadline - Date.now()), 'timeout'));
    if ((await Promise.race([cb.next(i), timer])) === 'timeout') {
      fail(`no ${spec.notify}Complete within ${timeout}s; got ${kinds}`);
      return;
    }
    const { path, headers, body } = cb.received[i];
    let env;
    try {
      env = parse(body);
    } catch (err) {
      fail(`callback ${i}: ${library} cannot parse it: ${err.message}`);
      continue;
    }
    const name = Object.keys(env.Body || {}).filter((k) => k !== '$attributes')[0] || '(none)';
    const kind = name.startsWith(spec.notify) ? name.slice(spec.notify.length) : name;
    kinds.push(kind);
    const h = env.Header || {};
    const session = text(h.SessionId);
    sessions.add(session);
    if (text(h.To) !== cb.url) fail(`${name}: wsa:To ${text(h.To)}, want the wsa:ReplyTo ${cb.url}`);
    if (path !== cb.path) fail(`${name}: POSTed to ${path}`);
    const extra = check(name, kind, h, headers, env.Body[name]) || '';
    event(`${name} session=${session}${extra}`);
  }
  if (kinds.length < 3 || kinds[0] !== 'Start' || kinds.slice(1, -1).some((k) => k !== 'Checkpoint')) {
    fail(`callbacks ${kinds}, want Start, Checkpoint (one or more), Complete`);
  }
  if (sessions.size !== 1 || !sessions.has(sessionId)) {
    fail(`callbacks carry session ids ${[...sessions]}, want the Initialize reply's ${sessionId}`);
  }
  console.log(`SUMMARY callbacks=${kinds.join(',')}`);
}

// run runs main and exits 0 when nothing failed.
function run(main) {
  main().then(
    () => process.exit(failures ? 1 : 0),
    (err) => {
      console.log(`FAIL ${err.stack || err}`);
      process.exit(1);
    },
  );
}

module.exports = { WSA, IPAM, SESSION, ports, event, fail, parseArgs, listen, wsaHeaders, text, followCallbacks, run };
