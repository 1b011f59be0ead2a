// Native tests of the JavaScript SDK's verdicts and errors: keep/drop,
// PluginError and permanent errors, and the WIT error record the exports hand
// Herald (herald:plugin@0.2.0). `node guest-sdk/js/test-herald-sdk-errors.mjs`,
// or all the SDK's tests with `node guest-sdk/js/test-herald-sdk.mjs`.
import test from 'node:test';
import assert from 'node:assert/strict';

await import('./herald-node.mjs');
const { PluginError, Verdict, drop, exportFilter, exportTransform, keep } = await import('herald-sdk');
const { record, call, captureLogs } = await import('./test-support.mjs');

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

test('permanent errors', () => {
  // Not permanent unless said: the webhook's retry schedule applies.
  assert.equal(PluginError.invalidEvent('x').permanent, false);
  assert.equal(new PluginError('failed', 'x').permanent, false);
  assert.equal(PluginError.failed('x', {}).permanent, false);
  assert.equal(PluginError.failed('x', { permanent: false }).permanent, false);
  const e = PluginError.invalidEvent('required field data.id is missing', { permanent: true });
  assert.ok(e instanceof PluginError);
  assert.equal(e.kind, 'invalid-event');
  assert.equal(e.message, 'required field data.id is missing');
  assert.equal(e.permanent, true);
  assert.equal(String(e), 'invalid event: required field data.id is missing (permanent)');
  assert.equal(PluginError.invalidConfig('x', { permanent: true }).permanent, true);
  assert.equal(PluginError.failed('x', { permanent: true }).permanent, true);
  assert.equal(new PluginError('failed', 'x', { permanent: true }).permanent, true);
  assert.throws(() => PluginError.failed('x', { permanent: 'yes' }), /permanent must be a boolean/);
  assert.throws(() => PluginError.failed('x', { permanant: true }), /unknown option permanant/);
  assert.throws(() => PluginError.failed('x', true), /options must be an object/);
});

test('errors reach the host as the WIT error record, permanent or not', () => {
  const filter = exportFilter((event) => {
    const how = event.dataJson().how;
    if (how === 'permanent') throw PluginError.invalidEvent('no order id', { permanent: true });
    if (how === 'retry') throw PluginError.failed('partner down');
    return keep();
  });
  assert.deepEqual(call(filter.filter, record({ how: 'permanent' }), '{}'), {
    err: { kind: 'invalid-event', message: 'no order id', permanent: true },
  });
  assert.deepEqual(call(filter.filter, record({ how: 'retry' }), '{}'), {
    err: { kind: 'failed', message: 'partner down', permanent: false },
  });
  const transform = exportTransform(() => {
    throw PluginError.failed('cannot reach the mapping', { permanent: true });
  });
  assert.deepEqual(call(transform.transform, record({}), { headers: [], body: new Uint8Array() }, ''), {
    err: { kind: 'failed', message: 'cannot reach the mapping', permanent: true },
  });
  // In check-config, permanent makes no difference to the host, but is passed on.
  const checked = exportFilter(() => keep(), {
    checkConfig() {
      throw PluginError.invalidConfig('never valid', { permanent: true });
    },
  });
  assert.deepEqual(call(checked.checkConfig, '{}'), { err: { kind: 'invalid-config', message: 'never valid', permanent: true } });
  // A PluginError from another copy of the SDK (same name and kind) counts too.
  const foreign = new Error('from elsewhere');
  foreign.name = 'PluginError';
  foreign.kind = 'invalid-event';
  foreign.permanent = true;
  const other = exportFilter(() => {
    throw foreign;
  });
  assert.deepEqual(call(other.filter, record({}), '{}'), { err: { kind: 'invalid-event', message: 'from elsewhere', permanent: true } });
});

test('exportFilter: errors become the WIT error variant', () => {
  const filter = exportFilter((event) => {
    const kind = event.dataJson().kind;
    if (kind === 'event') throw PluginError.invalidEvent('no order');
    if (kind === 'failed') throw PluginError.failed('boom');
    if (kind === 'type') return null.x;
    if (kind === 'string') throw 'just a string';
    if (kind === 'raw') throw { kind: 'invalid-event', message: 'raw record', permanent: true };
    if (kind === 'raw-retried') throw { kind: 'failed', message: 'raw record, no permanent' };
    if (kind === 'raw-0.1') throw { tag: 'invalid-event', val: 'the 0.1.0 variant' };
    if (kind === 'bad') return 'keep';
    if (kind === 'async') return Promise.resolve(keep());
    return keep();
  });
  assert.deepEqual(call(filter.filter, record({ kind: 'event' }), '{}'), { err: { kind: 'invalid-event', message: 'no order', permanent: false } });
  assert.deepEqual(call(filter.filter, record({ kind: 'failed' }), '{}'), { err: { kind: 'failed', message: 'boom', permanent: false } });
  let got;
  const logs = captureLogs(() => {
    got = call(filter.filter, record({ kind: 'type' }), '{}');
  });
  assert.equal(got.err.kind, 'failed');
  assert.match(got.err.message, /^TypeError: /);
  assert.equal(logs.length, 1);
  assert.equal(logs[0].level, 'error');
  assert.match(logs[0].message, /^the filter threw TypeError: /);
  captureLogs(() => {
    assert.deepEqual(call(filter.filter, record({ kind: 'string' }), '{}'), {
      err: { kind: 'failed', message: 'thrown the string "just a string"', permanent: false },
    });
  });
  // The WIT error record thrown as it is passes through; a missing permanent is false.
  assert.deepEqual(call(filter.filter, record({ kind: 'raw' }), '{}'), { err: { kind: 'invalid-event', message: 'raw record', permanent: true } });
  assert.deepEqual(call(filter.filter, record({ kind: 'raw-retried' }), '{}'), {
    err: { kind: 'failed', message: 'raw record, no permanent', permanent: false },
  });
  // The 0.1.0 contract's error variant is no WIT error any more: a failed one.
  captureLogs(() => {
    const old = call(filter.filter, record({ kind: 'raw-0.1' }), '{}');
    assert.equal(old.err.kind, 'failed');
    assert.equal(old.err.permanent, false);
    assert.match(old.err.message, /^thrown /);
  });
  const bad = call(filter.filter, record({ kind: 'bad' }), '{}');
  assert.deepEqual(bad, { err: { kind: 'failed', message: 'the filter returned the string "keep", not keep() or drop(reason)', permanent: false } });
  const promised = call(filter.filter, record({ kind: 'async' }), '{}');
  assert.equal(promised.err.kind, 'failed');
  assert.match(promised.err.message, /Promise/);
  assert.deepEqual(call(filter.filter, record('{nope'), '{}').err.kind, 'invalid-event');
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
