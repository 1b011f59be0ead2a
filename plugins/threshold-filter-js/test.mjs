// Native unit tests (the Rust plugin's, and its number rules):
//   node plugins/threshold-filter-js/test.mjs
// The acceptance test is the shared cases file, through Herald's host:
//   herald plugin test plugins/threshold-filter-js --cases plugins/threshold-filter/example/cases.json
import test from 'node:test';
import assert from 'node:assert/strict';

await import('../../guest-sdk/js/herald-node.mjs');
const { Event, PluginError, keep } = await import('herald-sdk');
const { readConfig, checkConfig, threshold } = await import('./plugin.js');

const config = (text) => readConfig(JSON.parse(text));
const order = (total) => Event.example('order.created', `{"order":{"total":${total}}}`);
const invalidConfig = (message) => (e) => e instanceof PluginError && e.kind === 'invalid-config' && e.message === message;

test('keeps above and drops at or below', () => {
  const c = config('{"path":"data.order.total","above":100}');
  assert.deepEqual(threshold(order('150'), c), keep());
  assert.deepEqual(threshold(order('100'), c), { tag: 'drop', val: 'data.order.total = 100 is not above 100' });
  assert.deepEqual(threshold(order('"120.50"'), c), keep());
});

test('missing field follows config', () => {
  const event = Event.example('order.created', '{"order":{}}');
  assert.deepEqual(threshold(event, config('{"path":"data.order.total","above":1}')), {
    tag: 'drop',
    val: 'data.order.total is missing or not a number',
  });
  assert.deepEqual(threshold(event, config('{"path":"data.order.total","above":1,"missing":"keep"}')), keep());
});

test('config needs a bound and a sane range', () => {
  assert.throws(() => checkConfig(config('{"path":"data.x"}')), invalidConfig('set `above`, `below` or both'));
  assert.throws(
    () => checkConfig(config('{"path":"data.x","above":5,"below":5}')),
    invalidConfig('`above` (5) must be less than `below` (5): no value could pass'),
  );
  assert.throws(() => checkConfig(config('{"path":" ","below":5}')), invalidConfig('`path` must not be empty'));
  checkConfig(config('{"path":"data.x","below":5}'));
  assert.throws(
    () => config('{"path":"x","abov":1}'),
    invalidConfig('unknown field `abov`, expected one of `path`, `above`, `below`, `missing`'),
  );
  assert.throws(() => config('{"above":1}'), invalidConfig('missing field `path`'));
  assert.throws(() => config('{"path":"x","above":"5"}'), invalidConfig('invalid type: string "5", expected f64'));
  assert.throws(() => config('{"path":"x","missing":"maybe"}'), invalidConfig('unknown variant `maybe`, expected `drop` or `keep`'));
  assert.throws(() => readConfig(null), invalidConfig('invalid type: null, expected struct Config'));
});

test('numbers read and printed as Rust does', () => {
  const below = config('{"path":"data.order.total","below":1}');
  const reason = (total) => threshold(order(total), below).val;
  assert.equal(reason('1e21'), 'data.order.total = 1000000000000000000000 is not below 1');
  assert.equal(reason('1.5'), 'data.order.total = 1.5 is not below 1');
  assert.equal(reason('"  7 "'), 'data.order.total = 7 is not below 1');
  assert.equal(reason('"+.5e1"'), 'data.order.total = 5 is not below 1');
  assert.equal(reason('"5."'), 'data.order.total = 5 is not below 1');
  assert.equal(reason('"inf"'), 'data.order.total = inf is not below 1');
  assert.equal(reason('"Infinity"'), 'data.order.total = inf is not below 1');
  for (const notANumber of ['"0x10"', '""', '"1,5"', '"\\ufeff7"', 'true', 'null', '[1]']) {
    assert.equal(reason(notANumber), 'data.order.total is missing or not a number', notANumber);
  }
  // NaN compares false both ways: kept, as in Rust.
  assert.deepEqual(threshold(order('"NaN"'), below), keep());
  const above = config('{"path":"data.order.total","above":0.001}');
  assert.equal(threshold(order('1e-7'), above).val, 'data.order.total = 0.0000001 is not above 0.001');
  assert.equal(threshold(order('-0.0'), above).val, 'data.order.total = -0 is not above 0.001');
});

test('bad event data is an invalid-event error', () => {
  const c = config('{"path":"data.x","above":1}');
  assert.throws(() => threshold(Event.example('t', '{'), c), (e) => e.kind === 'invalid-event' && e.message.startsWith('event data is not valid JSON'));
});
