// Native tests of the JavaScript SDK's data modules (herald-sdk/path.js,
// utf8.js, json.js): `node guest-sdk/js/test-herald-sdk-data.mjs`, or all the
// SDK's tests with `node guest-sdk/js/test-herald-sdk.mjs` (Node.js >= 20.6,
// nothing to install). They include every vector of
// guest-sdk/src/path_vectors.json, which the Rust SDK and Herald's runtime
// run too.
import test from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';

await import('./herald-node.mjs');
const { JsonNumber, decodeUtf8, encodeUtf8, json, path } = await import('herald-sdk');

const vectors = JSON.parse(readFileSync(new URL('../src/path_vectors.json', import.meta.url), 'utf8'));

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
