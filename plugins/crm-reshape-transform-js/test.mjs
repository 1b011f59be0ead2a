// Native unit tests (the Rust plugin's):
//   node plugins/crm-reshape-transform-js/test.mjs
// The acceptance test is the shared cases file, through Herald's host:
//   herald plugin test plugins/crm-reshape-transform-js --cases plugins/crm-reshape-transform/example/cases.json
import test from 'node:test';
import assert from 'node:assert/strict';

await import('../../guest-sdk/js/herald-node.mjs');
const { Event, PluginError, Request, json } = await import('herald-sdk');
const { readConfig, checkConfig, crmReshape, transform } = await import('./plugin.js');

const config = (text) => readConfig(json.parse(text, { exact: true }));

test('maps nested targets, constants and headers', () => {
  const c = config(
    '{"mapping":{"properties.dealname":"data.order.id","properties.amount":"data.order.total","kind":"type"},' +
      '"constants":{"properties.pipeline":"webshop"},"headers":{"x-crm-object":"deal"}}',
  );
  const event = Event.example('order.created', '{"order":{"id":"o1","total":5.0}}');
  const out = crmReshape(event, new Request(), c);
  assert.equal(out.bodyText(), '{"kind":"order.created","properties":{"amount":5.0,"dealname":"o1","pipeline":"webshop"}}');
  assert.equal(out.header('x-crm-object'), 'deal');
  assert.equal(out.header('content-type'), 'application/json');
});

test('required and missing', () => {
  const event = Event.example('t', '{"email":"x"}');
  const c = config('{"mapping":{"email":"data.email"},"required":["data.id"]}');
  assert.throws(
    () => crmReshape(event, new Request(), c),
    (e) =>
      e instanceof PluginError &&
      e.kind === 'invalid-event' &&
      e.message === 'required field data.id is missing' &&
      e.permanent === true,
  );
  // Through the export, the host gets the WIT error record, permanent.
  let thrown;
  try {
    transform.transform(event, { headers: [], body: new Uint8Array() }, '{"mapping":{},"required":["data.id"]}');
  } catch (e) {
    thrown = e;
  }
  assert.deepEqual(thrown, { kind: 'invalid-event', message: 'required field data.id is missing', permanent: true });
  const n = config('{"mapping":{"email":"data.email","phone":"data.phone"},"missing":"null"}');
  assert.deepEqual(crmReshape(event, new Request(), n).jsonBody(), { email: 'x', phone: null });
});

test('conflicting targets are rejected', () => {
  assert.throws(() => checkConfig(config('{"mapping":{"a":"data.x","a.b":"data.y"}}')), (e) => e.message === 'target "a" conflicts with "a.b"');
  assert.throws(() => checkConfig(config('{"mapping":{"a..b":"data.x"}}')), (e) => e.message === 'target "a..b" has an empty segment');
  assert.throws(() => checkConfig(config('{"mapping":{}}')), (e) => e.message === '`mapping` or `constants` must have an entry');
  checkConfig(config('{"mapping":{},"constants":{"a":1}}'));
});

test('config errors read like serde', () => {
  assert.throws(() => config('{"constants":{}}'), (e) => e.kind === 'invalid-config' && e.message === 'missing field `mapping`');
  assert.throws(() => config('{"mapping":{"a":5}}'), (e) => e.message === 'invalid type: integer `5`, expected a string');
  assert.throws(() => config('{"mapping":{},"wat":1}'), (e) => e.message === 'unknown field `wat`, expected one of `mapping`, `constants`, `required`, `headers`, `missing`');
  assert.throws(() => config('{"mapping":{},"missing":"maybe"}'), (e) => e.message === 'unknown variant `maybe`, expected `skip` or `null`');
});

test('a copied value is a copy, and numbers keep their text', () => {
  const c = config('{"mapping":{"a":"data.obj","b":"data.obj","n":"data.big"},"constants":{"a.x":1}}');
  const event = Event.example('t', '{"obj":{"k":1.50},"big":12345678901234567890}');
  const out = crmReshape(event, new Request(), c);
  assert.equal(out.bodyText(), '{"a":{"k":1.50,"x":1},"b":{"k":1.50},"n":12345678901234567890}');
});
