// Native tests of the JavaScript SDK's plugin-facing modules
// (herald-sdk/types.js, export.js): Event, Request, log and the exports
// (verdicts and errors are in test-herald-sdk-errors.mjs). `node guest-sdk/js/test-herald-sdk-plugin.mjs`, or all the
// SDK's tests with `node guest-sdk/js/test-herald-sdk.mjs` (Node.js >= 20.6,
// nothing to install).
import test from 'node:test';
import assert from 'node:assert/strict';

await import('./herald-node.mjs');
const {
  Event,
  PluginError,
  Request,
  Verdict,
  decodeUtf8,
  drop,
  encodeUtf8,
  exportFilter,
  exportTransform,
  json,
  keep,
  log,
} = await import('herald-sdk');
const { record, call, captureLogs } = await import('./test-support.mjs');

// --- Event ------------------------------------------------------------------

test('Event wraps the WIT record', () => {
  const e = new Event(record({ order: { total: 12.5 } }, { environment: 'production' }));
  assert.equal(e.id, 'evt_1');
  assert.equal(e.eventType, 'order.created');
  assert.equal(e.timestamp, '2026-01-01T00:00:00Z');
  assert.equal(e.org, 'org_1');
  assert.equal(e.environment, 'production');
  assert.equal(e.webhookId, 'wh_1');
  assert.equal(e.data, '{"order":{"total":12.5}}');
  assert.deepEqual(e.envelope(), {
    id: 'evt_1',
    type: 'order.created',
    timestamp: '2026-01-01T00:00:00Z',
    environment: 'production',
    data: { order: { total: 12.5 } },
  });
  assert.equal(e.get('data.order.total'), 12.5);
  assert.equal(e.get('environment'), 'production');
  assert.equal(e.get('data.order.missing'), undefined);
  // No environment: null, and absent from the envelope.
  const n = new Event(record({}));
  assert.equal(n.environment, null);
  assert.deepEqual(Object.keys(n.envelope()), ['id', 'type', 'timestamp', 'data']);
  assert.equal(n.get('environment'), undefined);
});

test('Event.example and dataJson parsed once', () => {
  const e = Event.example('order.created', '{"order":{"total":42}}');
  assert.equal(e.id, 'evt_example');
  assert.equal(e.org, 'org_example');
  assert.equal(e.webhookId, 'wh_example');
  assert.equal(e.timestamp, '2026-01-01T00:00:00Z');
  assert.equal(e.environment, null);
  assert.equal(e.dataJson().order.total, 42);
  assert.equal(e.dataJson(), e.dataJson());
  assert.equal(e.envelope().data, e.dataJson());
  assert.equal(Event.example('t', { a: 1 }).data, '{"a":1}');
  const exact = Event.example('t', '{"total":199.0}');
  assert.equal(exact.get('data.total', { exact: true }).text, '199.0');
  assert.equal(exact.get('data.total'), 199);
});

test('Event with bad JSON data is an invalid-event error', () => {
  const e = Event.example('t', '{nope');
  assert.throws(
    () => e.dataJson(),
    (err) => err instanceof PluginError && err.kind === 'invalid-event' && err.message.startsWith('event data is not valid JSON: '),
  );
  assert.throws(() => e.get('data.x'), PluginError);
});

// --- Request ----------------------------------------------------------------

test('Request headers compare case-insensitively', () => {
  const r = new Request();
  assert.deepEqual(r.headers, []);
  assert.equal(r.body.length, 0);
  r.setHeader('Content-Type', 'text/plain');
  assert.equal(r.header('content-type'), 'text/plain');
  r.setHeader('x-a', '1');
  r.setHeader('X-A', '2');
  assert.deepEqual(r.headers, [
    ['Content-Type', 'text/plain'],
    ['X-A', '2'],
  ]);
  assert.equal(r.removeHeader('x-a'), true);
  assert.equal(r.removeHeader('x-a'), false);
  assert.equal(r.header('x-a'), null);
});

test('Request JSON bodies', () => {
  const r = Request.json({ b: 1, a: [1, 2] });
  assert.equal(r.bodyText(), '{"b":1,"a":[1,2]}');
  assert.equal(r.header('content-type'), 'application/json');
  assert.deepEqual(r.jsonBody(), { b: 1, a: [1, 2] });
  r.setJsonBody({ b: 1, a: 2 }, { sortKeys: true });
  assert.equal(r.bodyText(), '{"a":2,"b":1}');
  const bad = new Request([['content-type', 'application/json']], encodeUtf8('{oops'));
  assert.throws(
    () => bad.jsonBody(),
    (e) => e instanceof PluginError && e.kind === 'invalid-event' && e.message.startsWith('request body is not valid JSON: '),
  );
  const notUtf8 = new Request([], Uint8Array.from([0x22, 0xff, 0x22]));
  assert.throws(() => notUtf8.jsonBody(), /invalid UTF-8 at byte 1/);
  const exact = new Request([], encodeUtf8('{"amount": 5.00}'));
  assert.equal(exact.jsonBody({ exact: true }).amount.text, '5.00');
  const e = Request.json(exact.jsonBody({ exact: true }));
  assert.equal(e.bodyText(), '{"amount":5.00}');
});

test('Request setBody takes bytes or text', () => {
  const r = new Request([['content-type', 'application/json']]);
  r.setBody('a=1&b=é', 'application/x-www-form-urlencoded');
  assert.deepEqual(r.body, encodeUtf8('a=1&b=é'));
  assert.equal(r.header('content-type'), 'application/x-www-form-urlencoded');
  r.setBody(Uint8Array.from([1, 2, 3]));
  assert.deepEqual(r.body, Uint8Array.from([1, 2, 3]));
  assert.equal(r.header('content-type'), 'application/x-www-form-urlencoded');
  assert.throws(() => r.setBody(42), TypeError);
});

// --- verdicts, errors, log ---------------------------------------------------

test('log writes through the host import', () => {
  const logs = captureLogs(() => {
    log.trace('t');
    log.debug('d');
    log.info('i');
    log.warn('w');
    log.error('e');
    log.log('info', 42);
  });
  assert.deepEqual(logs, [
    { level: 'trace', message: 't' },
    { level: 'debug', message: 'd' },
    { level: 'info', message: 'i' },
    { level: 'warn', message: 'w' },
    { level: 'error', message: 'e' },
    { level: 'info', message: '42' },
  ]);
  assert.throws(() => log.log('loud', 'x'), TypeError);
});

// --- exports -----------------------------------------------------------------

test('exportFilter: verdicts, config parsed once per distinct text', () => {
  let parses = 0;
  const filter = exportFilter(
    (event, config) => (event.get('data.amount') >= config.min ? keep() : drop(`amount below ${config.min}`)),
    {
      config(raw) {
        parses++;
        if (typeof raw?.min !== 'number') throw PluginError.invalidConfig('`min` must be a number');
        return { min: raw.min };
      },
    },
  );
  assert.deepEqual(filter.filter(record({ amount: 5 }), '{"min": 3}'), { tag: 'keep' });
  assert.deepEqual(filter.filter(record({ amount: 1 }), '{"min": 3}'), { tag: 'drop', val: 'amount below 3' });
  assert.deepEqual(filter.filter(record({ amount: 1 }), '{"min": 0}'), { tag: 'keep' });
  assert.deepEqual(filter.filter(record({ amount: 1 }), '{"min": 3}'), { tag: 'drop', val: 'amount below 3' });
  assert.equal(parses, 2);
  assert.equal(filter.checkConfig('{"min": 3}'), undefined);
  assert.equal(parses, 2);
  assert.deepEqual(call(filter.checkConfig, '{"min": "3"}'), { err: { kind: 'invalid-config', message: '`min` must be a number', permanent: false } });
  const notJson = call(filter.checkConfig, '{min');
  assert.equal(notJson.err.kind, 'invalid-config');
  assert.match(notJson.err.message, /^config is not valid JSON: /);
});

test('exportFilter: checkConfig runs at check-config only; a crashing config function is invalid-config', () => {
  let checks = 0;
  const filter = exportFilter(() => keep(), {
    config: (raw) => ({ min: raw.min.value }),
    checkConfig(config) {
      checks++;
      if (config.min < 0) throw PluginError.invalidConfig('`min` must not be negative');
    },
  });
  assert.deepEqual(call(filter.checkConfig, '{"min": {"value": -1}}'), { err: { kind: 'invalid-config', message: '`min` must not be negative', permanent: false } });
  assert.deepEqual(filter.filter(record({}), '{"min": {"value": -1}}'), { tag: 'keep' });
  assert.equal(checks, 1);
  const crash = call(filter.checkConfig, '{}');
  assert.equal(crash.err.kind, 'invalid-config');
  assert.match(crash.err.message, /^TypeError: /);
  assert.throws(() => exportFilter(() => keep(), { conifg: () => 1 }), /unknown option conifg/);
  assert.throws(() => exportFilter('nope'), TypeError);
});

test('exportFilter: exact config', () => {
  let seen;
  const filter = exportFilter(
    (_, config) => {
      seen = config;
      return keep();
    },
    { exact: true },
  );
  filter.filter(record({}), '{"n": 5.0}');
  assert.equal(seen.n.text, '5.0');
});

test('exportTransform: Request in, Request out', () => {
  const transform = exportTransform(
    (event, request, config) => {
      const data = event.dataJson();
      request.setJsonBody({ kind: event.eventType, id: data.id, was: request.bodyText() });
      request.setHeader('x-partner', config.partner);
      return request;
    },
    { config: (raw) => ({ partner: String(raw.partner) }) },
  );
  const out = transform.transform(record({ id: 7 }), { headers: [['content-type', 'text/plain'], ['x-keep', '1']], body: encodeUtf8('old') }, '{"partner":"acme"}');
  assert.deepEqual(out.headers, [
    ['x-keep', '1'],
    ['content-type', 'application/json'],
    ['x-partner', 'acme'],
  ]);
  assert.ok(out.body instanceof Uint8Array);
  assert.equal(decodeUtf8(out.body), '{"kind":"order.created","id":7,"was":"old"}');
  // A plain object with a string body is accepted; anything else is a failed error.
  const loose = exportTransform(() => ({ headers: [['a', 'b']], body: 'text' }));
  assert.deepEqual(loose.transform(record({}), { headers: [], body: new Uint8Array() }, ''), { headers: [['a', 'b']], body: encodeUtf8('text') });
  const wrong = exportTransform(() => 'body');
  assert.deepEqual(call(wrong.transform, record({}), { headers: [], body: new Uint8Array() }, ''), {
    err: { kind: 'failed', message: 'the transform returned the string "body", not a Request', permanent: false },
  });
  const badHeader = exportTransform(() => ({ headers: [['only-name']], body: new Uint8Array() }));
  assert.deepEqual(call(badHeader.transform, record({}), { headers: [], body: new Uint8Array() }, '').err.kind, 'failed');
  assert.equal(transform.checkConfig('{"partner":"x"}'), undefined);
});

test('running out of memory is not the plugin error: it is rethrown, so the call traps', () => {
  const oom = new Error('out of memory');
  oom.name = 'InternalError'; // what QuickJS throws at Herald's memory cap
  const filter = exportFilter((event) => {
    if (event.eventType === 'null') throw null; // QuickJS when even the error cannot be made
    throw oom;
  });
  const logs = captureLogs(() => {
    assert.throws(() => filter.filter(record({}), '{}'), (e) => e === oom);
    assert.throws(
      () => filter.filter(record({}, { eventType: 'null' }), '{}'),
      (e) => e === null,
    );
  });
  assert.deepEqual(logs, [
    { level: 'error', message: 'the filter ran out of memory (out of memory): the call traps' },
    { level: 'error', message: 'the filter ran out of memory (null): the call traps' },
  ]);
  const config = exportFilter(() => keep(), {
    config() {
      throw oom;
    },
  });
  captureLogs(() => assert.throws(() => config.checkConfig('{}'), (e) => e === oom));
  // A stack overflow is reported as the plugin's failure.
  const deep = exportFilter(() => {
    const e = new Error('stack overflow');
    e.name = 'InternalError';
    throw e;
  });
  captureLogs(() => {
    assert.deepEqual(call(deep.filter, record({}), '{}'), { err: { kind: 'failed', message: 'InternalError: stack overflow', permanent: false } });
  });
});
