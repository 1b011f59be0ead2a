// Native tests of the JavaScript SDK: `node guest-sdk/js/test-herald-sdk.mjs`
// (Node.js >= 20.6, nothing to install). They include every vector of
// guest-sdk/src/path_vectors.json, which the Rust SDK and Herald's runtime
// run too.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

await import('./herald-node.mjs');
const {
  Event,
  JsonNumber,
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
  path,
} = await import('herald-sdk');

const vectors = JSON.parse(readFileSync(new URL('../src/path_vectors.json', import.meta.url), 'utf8'));

// A WIT event record, as jco hands it to the export.
function record(data, extra = {}) {
  return {
    id: 'evt_1',
    eventType: 'order.created',
    timestamp: '2026-01-01T00:00:00Z',
    org: 'org_1',
    environment: null,
    webhookId: 'wh_1',
    data: typeof data === 'string' ? data : JSON.stringify(data),
    ...extra,
  };
}

// Calls an export and returns {ok} or {err} the way the host sees it.
function call(f, ...args) {
  try {
    return { ok: f(...args) };
  } catch (e) {
    return { err: e };
  }
}

function captureLogs(f) {
  globalThis.heraldLogs = [];
  try {
    f();
    return globalThis.heraldLogs;
  } finally {
    globalThis.heraldLogs = undefined;
  }
}

// --- path ------------------------------------------------------------------

test('path: every check vector of path_vectors.json', () => {
  assert.ok(vectors.check.length >= 5);
  for (const c of vectors.check) {
    assert.equal(path.isValid(c.path), c.valid, `check ${JSON.stringify(c.path)}`);
    assert.equal(path.check(c.path) === null, c.valid, `check ${JSON.stringify(c.path)}`);
  }
});

test('path: every lookup vector of path_vectors.json, and forEachMatch visits exactly that', () => {
  assert.ok(vectors.lookup.length >= 10);
  for (const c of vectors.lookup) {
    const name = `lookup ${JSON.stringify(c.path)}`;
    assert.ok(c.absent === true || 'expected' in c, name);
    const expected = c.absent === true ? undefined : c.expected;
    assert.deepEqual(path.get(c.document, c.path), expected, name);
    assert.deepEqual(path.lookup(c.document, c.path), expected, name);
    // The same through an exact parse (numbers as JsonNumber).
    const exact = path.get(json.parse(JSON.stringify(c.document), { exact: true }), c.path);
    assert.equal(json.stringify(exact === undefined ? null : exact), JSON.stringify(expected ?? null), name);
    const seen = [];
    const doc = structuredClone(c.document);
    const n = path.forEachMatch(doc, c.path, (parent, key) => seen.push(parent[key]));
    assert.equal(n, seen.length, name);
    assert.deepEqual(seen, expected === undefined ? [] : [expected], `forEachMatch ${JSON.stringify(c.path)}`);
  }
});

test('path: check says why', () => {
  assert.equal(path.check('data.order'), null);
  assert.equal(path.check(''), 'a path must not be empty');
  assert.equal(path.check('data..status'), 'segment 2 of the path is empty');
  assert.equal(path.check('.a'), 'segment 1 of the path is empty');
  assert.equal(path.check(7), 'a path must be a string');
});

test('path: set into an array index, refusing scalars and bad paths (as path.rs)', () => {
  const v = { a: [1, 2], s: 'x' };
  assert.equal(path.set(v, 'a.1', 9), true);
  assert.deepEqual(v.a, [1, 9]);
  assert.equal(path.set(v, 'a.5', 0), false);
  assert.equal(path.set(v, 'a.+1', 0), false);
  assert.equal(path.set(v, 's.inner', 0), false);
  assert.equal(path.set(v, '', 0), false);
  assert.equal(path.set(v, 'b..c', 0), false);
  assert.deepEqual(v, { a: [1, 9], s: 'x' });
  const w = {};
  assert.equal(path.set(w, 'properties.email', 'a@b.c'), true);
  assert.deepEqual(w, { properties: { email: 'a@b.c' } });
  // An existing null is not replaced by an object.
  const n = { a: null };
  assert.equal(path.set(n, 'a.b', 1), false);
  assert.deepEqual(n, { a: null });
  assert.equal(path.set('scalar', 'x', 1), false);
});

test('path: wildcard over object members and array elements', () => {
  const v = { m: { a: { k: 1 }, b: { k: 2 }, c: {} } };
  const seen = [];
  assert.equal(path.forEachMatch(v, 'm.*.k', (parent, key) => seen.push(parent[key])), 2);
  assert.deepEqual(seen, [1, 2]);
  const keys = [];
  assert.equal(path.forEachMatch({ xs: [5, 6] }, 'xs.*', (_, key) => keys.push(key)), 2);
  assert.deepEqual(keys, [0, 1]);
  assert.equal(path.forEachMatch({ a: 1 }, 'a..b', () => assert.fail('no call')), 0);
});

test('path: remove deletes members and splices elements', () => {
  const v = { cards: [{ pan: '1', x: 1 }, { pan: '2' }], keep: true, list: [1, 2, 3, 4] };
  assert.equal(path.remove(v, 'cards.*.pan'), 2);
  assert.deepEqual(v.cards, [{ x: 1 }, {}]);
  assert.equal(path.remove(v, 'list.*'), 4);
  assert.deepEqual(v.list, []);
  assert.equal(path.remove(v, 'missing.x'), 0);
  const a = { xs: ['a', 'b', 'c'] };
  assert.equal(path.remove(a, 'xs.1'), 1);
  assert.deepEqual(a.xs, ['a', 'c']);
});

test('path: inherited and special members are not members', () => {
  assert.equal(path.get({}, 'constructor'), undefined);
  assert.equal(path.get({}, 'toString'), undefined);
  assert.equal(path.get({ a: [] }, 'a.length'), undefined);
  assert.equal(path.get({ s: 'abc' }, 's.length'), undefined);
  const parsed = JSON.parse('{"__proto__": {"x": 1}}');
  assert.deepEqual(path.get(parsed, '__proto__.x'), 1);
  const out = {};
  assert.equal(path.set(out, '__proto__.polluted', true), true);
  assert.equal({}.polluted, undefined);
  assert.equal(Object.getPrototypeOf(out), Object.prototype);
  assert.equal(JSON.stringify(out), '{"__proto__":{"polluted":true}}');
});

// --- UTF-8 ------------------------------------------------------------------

// A small deterministic generator, so failures reproduce.
function rng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

test('utf8: encode matches TextEncoder, including astral and lone surrogates', () => {
  const samples = ['', 'ascii', 'é', '€uro', '日本語', '😀 grin', 'a\u0000b', '\ud800', 'x\udc00y', '\ud83d', '\ud83d\ude00\ud83d'];
  const r = rng(7);
  for (let n = 0; n < 300; n++) {
    let s = '';
    const len = Math.floor(r() * 12);
    for (let i = 0; i < len; i++) {
      const pick = r();
      s += String.fromCharCode(pick < 0.3 ? r() * 0x80 : pick < 0.6 ? r() * 0x800 : pick < 0.8 ? 0xd800 + r() * 0x800 : r() * 0x10000);
    }
    samples.push(s);
  }
  for (const s of samples) {
    assert.deepEqual(encodeUtf8(s), new TextEncoder().encode(s), JSON.stringify(s));
  }
});

test('utf8: decode matches TextDecoder on valid and malformed bytes', () => {
  const samples = [
    [],
    [0x68, 0x69],
    [0xc3, 0xa9],
    [0xe2, 0x82, 0xac],
    [0xf0, 0x9f, 0x98, 0x80],
    [0xc0, 0x80], // overlong
    [0xe0, 0x80, 0x80], // overlong
    [0xed, 0xa0, 0x80], // surrogate
    [0xf4, 0x90, 0x80, 0x80], // above U+10FFFF
    [0xf0, 0x9f, 0x98], // truncated
    [0xe2, 0x82, 0x41],
    [0xff, 0xfe, 0x41],
    [0x80, 0xbf],
  ];
  const r = rng(11);
  for (let n = 0; n < 500; n++) {
    const len = Math.floor(r() * 10);
    const bytes = [];
    for (let i = 0; i < len; i++) bytes.push(r() < 0.4 ? Math.floor(r() * 0x80) : 0x80 + Math.floor(r() * 0x80));
    samples.push(bytes);
  }
  for (const bytes of samples) {
    const b = Uint8Array.from(bytes);
    const want = new TextDecoder().decode(b);
    assert.equal(decodeUtf8(b), want, `bytes ${bytes}`);
    let valid = true;
    try {
      new TextDecoder('utf-8', { fatal: true }).decode(b);
    } catch {
      valid = false;
    }
    if (valid) assert.equal(decodeUtf8(b, { fatal: true }), want);
    else assert.throws(() => decodeUtf8(b, { fatal: true }), /invalid UTF-8 at byte \d+/);
  }
  // Long input (crosses the internal chunking).
  const long = '€'.repeat(20000) + '😀'.repeat(5000);
  assert.equal(decodeUtf8(encodeUtf8(long)), long);
});

// --- JSON -------------------------------------------------------------------

test('json.stringify writes what JSON.stringify writes', () => {
  const values = [
    null,
    true,
    0,
    -0,
    1.5,
    1e21,
    1e-7,
    NaN,
    Infinity,
    'text "quoted" \\ \n \u0001 \u2028 é 😀',
    [],
    {},
    [1, 'a', null, undefined, () => 1, Symbol('s')],
    { b: 1, a: [true, false], u: undefined, f() {}, nested: { '': 0, 10: 'ten', 2: 'two' } },
    { date: { toJSON: () => 'converted' } },
    new Uint8Array([1, 2]),
    [new Number(3), new String('s'), new Boolean(false)],
  ];
  for (const v of values) assert.equal(json.stringify(v), JSON.stringify(v));
  assert.throws(() => json.stringify(undefined), TypeError);
  const cyclic = {};
  cyclic.self = cyclic;
  assert.throws(() => json.stringify(cyclic), /cyclic/);
  assert.throws(() => json.stringify(12345678901234567890n), TypeError);
});

test('json.stringify sortKeys sorts by code point, at every level', () => {
  const v = { b: 1, a: { z: 1, y: [{ d: 1, c: 2 }] }, 10: 0, 9: 0, é: 0, '\uffff': 0, '😀': 0 };
  assert.equal(
    json.stringify(v, { sortKeys: true }),
    '{"10":0,"9":0,"a":{"y":[{"c":2,"d":1}],"z":1},"b":1,"é":0,"\uffff":0,"😀":0}',
  );
});

test('json.parse exact keeps every number as written', () => {
  const text = '{"int": 199, "float": 199.0, "big": 12345678901234567890, "neg": -0, "exp": 1E+2, "small": 0.10, "s": "1.0", "arr": [1.50, {"k": 2e-3}], "esc": "a\\"b\\u00e9"}';
  const v = json.parse(text, { exact: true });
  assert.ok(v.float instanceof JsonNumber);
  assert.equal(v.float.text, '199.0');
  assert.equal(v.float + 1, 200);
  assert.ok(v.float > 100 && v.float < 200);
  assert.equal(`${v.big}`, '12345678901234567890');
  assert.equal(v.s, '1.0');
  assert.equal(v.esc, 'a"bé');
  assert.equal(
    json.stringify(v),
    '{"int":199,"float":199.0,"big":12345678901234567890,"neg":-0,"exp":1E+2,"small":0.10,"s":"1.0","arr":[1.50,{"k":2e-3}],"esc":"a\\"bé"}',
  );
  // Without exact: plain JSON.parse.
  assert.deepEqual(json.parse(text), JSON.parse(text));
  assert.throws(() => json.parse('{"a":}', { exact: true }), SyntaxError);
  assert.throws(() => new JsonNumber('1.'), TypeError);
  // JSON.stringify writes the text where the engine has JSON.rawJSON, else the number.
  assert.equal(JSON.stringify(v.float), typeof JSON.rawJSON === 'function' ? '199.0' : '199');
  // Whitespace everywhere, nesting, empty containers, duplicates (last wins, first position).
  const odd = ' { "a" : [ ] , "b" : { } , "c" : [ [ 1 ] , true , false , null ] , "a" : 2 } ';
  assert.equal(json.stringify(json.parse(odd, { exact: true })), JSON.stringify(JSON.parse(odd)));
  const proto = json.parse('{"__proto__": {"x": 1}}', { exact: true });
  assert.equal(Object.getPrototypeOf(proto), Object.prototype);
  assert.equal(json.stringify(proto), '{"__proto__":{"x":1}}');
});

test('json.parse exact on generated documents: same values, number text kept', () => {
  const r = rng(3);
  const pick = (xs) => xs[Math.floor(r() * xs.length)];
  const ws = () => pick(['', '', ' ', '\n  ', '\t', '\r\n']);
  const numbers = ['0', '-0', '1', '-12', '199.0', '1.50', '2e3', '2E-3', '-1.5e+10', '12345678901234567890', '0.000001', '1e400'];
  const strings = ['""', '"a"', '"with \\"quotes\\""', '"\\\\"', '"\\u00e9\\n\\t"', '"😀"', '"\\ud83d\\ude00"', '"__proto__"', '"10"', '"a,b:c{}[]"'];
  // Returns [source text, the same compacted].
  const gen = (depth) => {
    const k = depth > 3 ? r() * 0.6 : r();
    if (k < 0.25) {
      const n = pick(numbers);
      return [n, n];
    }
    if (k < 0.45) {
      const s = pick(strings);
      return [s, s];
    }
    if (k < 0.55) {
      const l = pick(['true', 'false', 'null']);
      return [l, l];
    }
    const count = Math.floor(r() * 4);
    const items = [];
    for (let i = 0; i < count; i++) items.push(gen(depth + 1));
    if (k < 0.75) {
      return [`[${ws()}${items.map(([t]) => t + ws()).join(`,${ws()}`)}]`, `[${items.map(([, c]) => c).join(',')}]`];
    }
    const keys = items.map((_, i) => `"k${i}"`);
    return [
      `{${ws()}${items.map(([t], i) => `${keys[i]}${ws()}:${ws()}${t}${ws()}`).join(`,${ws()}`)}}`,
      `{${items.map(([, c], i) => `${keys[i]}:${c}`).join(',')}}`,
    ];
  };
  const plain = (v) => (v instanceof JsonNumber ? Number(v) : Array.isArray(v) ? v.map(plain) : v && typeof v === 'object' ? Object.fromEntries(Object.entries(v).map(([k, x]) => [k, plain(x)])) : v);
  for (let n = 0; n < 400; n++) {
    const [text, compact] = gen(0);
    const source = ws() + text + ws();
    const exact = json.parse(source, { exact: true });
    assert.deepEqual(plain(exact), JSON.parse(source), source);
    // Strings come out as JSON.stringify writes them; numbers as written.
    assert.equal(json.stringify(exact), json.stringify(json.parse(compact, { exact: true })), source);
    assert.equal(json.stringify(exact).replace(/"(?:[^"\\]|\\.)*"/g, '""'), compact.replace(/"(?:[^"\\]|\\.)*"/g, '""'), source);
  }
});

test('json.clone is deep', () => {
  const a = { x: [{ y: 1 }] };
  const b = json.clone(a);
  b.x[0].y = 2;
  assert.equal(a.x[0].y, 1);
});

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

test('verdicts and errors', () => {
  assert.deepEqual(keep(), { tag: 'keep' });
  assert.deepEqual(drop('too small'), { tag: 'drop', val: 'too small' });
  assert.deepEqual(Verdict.drop(3), { tag: 'drop', val: '3' });
  const e = PluginError.invalidConfig('`min` must be positive');
  assert.ok(e instanceof Error);
  assert.equal(e.kind, 'invalid-config');
  assert.equal(e.message, '`min` must be positive');
  assert.equal(String(e), 'invalid config: `min` must be positive');
  assert.equal(PluginError.invalidEvent('x').kind, 'invalid-event');
  assert.equal(String(PluginError.failed('x')), 'failed: x');
  assert.throws(() => new PluginError('nope', 'x'), TypeError);
});

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
  assert.deepEqual(call(filter.checkConfig, '{"min": "3"}'), { err: { tag: 'invalid-config', val: '`min` must be a number' } });
  const notJson = call(filter.checkConfig, '{min');
  assert.equal(notJson.err.tag, 'invalid-config');
  assert.match(notJson.err.val, /^config is not valid JSON: /);
});

test('exportFilter: errors become the WIT error variant', () => {
  const filter = exportFilter((event) => {
    const kind = event.dataJson().kind;
    if (kind === 'event') throw PluginError.invalidEvent('no order');
    if (kind === 'failed') throw PluginError.failed('boom');
    if (kind === 'type') return null.x;
    if (kind === 'string') throw 'just a string';
    if (kind === 'raw') throw { tag: 'invalid-event', val: 'raw variant' };
    if (kind === 'bad') return 'keep';
    if (kind === 'async') return Promise.resolve(keep());
    return keep();
  });
  assert.deepEqual(call(filter.filter, record({ kind: 'event' }), '{}'), { err: { tag: 'invalid-event', val: 'no order' } });
  assert.deepEqual(call(filter.filter, record({ kind: 'failed' }), '{}'), { err: { tag: 'failed', val: 'boom' } });
  let got;
  const logs = captureLogs(() => {
    got = call(filter.filter, record({ kind: 'type' }), '{}');
  });
  assert.equal(got.err.tag, 'failed');
  assert.match(got.err.val, /^TypeError: /);
  assert.equal(logs.length, 1);
  assert.equal(logs[0].level, 'error');
  assert.match(logs[0].message, /^the filter threw TypeError: /);
  captureLogs(() => {
    assert.deepEqual(call(filter.filter, record({ kind: 'string' }), '{}'), {
      err: { tag: 'failed', val: 'thrown the string "just a string"' },
    });
  });
  assert.deepEqual(call(filter.filter, record({ kind: 'raw' }), '{}'), { err: { tag: 'invalid-event', val: 'raw variant' } });
  const bad = call(filter.filter, record({ kind: 'bad' }), '{}');
  assert.deepEqual(bad, { err: { tag: 'failed', val: 'the filter returned the string "keep", not keep() or drop(reason)' } });
  const promised = call(filter.filter, record({ kind: 'async' }), '{}');
  assert.equal(promised.err.tag, 'failed');
  assert.match(promised.err.val, /Promise/);
  assert.deepEqual(call(filter.filter, record('{nope'), '{}').err.tag, 'invalid-event');
  // Without a config function: the parsed JSON; an empty config is null.
  let seen;
  const raw = exportFilter((_, config) => {
    seen = config;
    return keep();
  });
  raw.filter(record({}), '{"a": [1]}');
  assert.deepEqual(seen, { a: [1] });
  raw.filter(record({}), '  ');
  assert.equal(seen, null);
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
  assert.deepEqual(call(filter.checkConfig, '{"min": {"value": -1}}'), { err: { tag: 'invalid-config', val: '`min` must not be negative' } });
  assert.deepEqual(filter.filter(record({}), '{"min": {"value": -1}}'), { tag: 'keep' });
  assert.equal(checks, 1);
  const crash = call(filter.checkConfig, '{}');
  assert.equal(crash.err.tag, 'invalid-config');
  assert.match(crash.err.val, /^TypeError: /);
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
    err: { tag: 'failed', val: 'the transform returned the string "body", not a Request' },
  });
  const badHeader = exportTransform(() => ({ headers: [['only-name']], body: new Uint8Array() }));
  assert.deepEqual(call(badHeader.transform, record({}), { headers: [], body: new Uint8Array() }, '').err.tag, 'failed');
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
    assert.deepEqual(call(deep.filter, record({}), '{}'), { err: { tag: 'failed', val: 'InternalError: stack overflow' } });
  });
});
