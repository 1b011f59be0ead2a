// CRM reshape transform (JavaScript port of plugins/crm-reshape-transform):
// maps an event onto a partner CRM's own field names and structure, with a
// configured mapping, so one order event can feed a CRM that expects e.g.
// {"properties": {"dealname": …, "amount": …}}.
//
// Config:
//   {"mapping": {"properties.dealname": "data.order.id", "properties.amount": "data.order.total",
//                "properties.email": "data.customer.email"},
//    "constants": {"properties.pipeline": "webshop"},
//    "required": ["data.order.id"],
//    "headers": {"x-crm-object": "deal"}}
// - mapping: target path in the new body -> source path in the event
//   envelope (id, type, timestamp, environment, data.…). Absent sources are
//   skipped (or become null with "missing": "null").
// - constants: target path -> fixed JSON value.
// - required: source paths that must be present, else the call fails with a
//   permanent invalid-event error (retrying cannot bring the field: Herald
//   records the delivery as dead at once).
// - headers: static headers to set on the request.
//
// Like the Rust plugin, it writes the body with its keys sorted and applies
// the mapping, the constants and the headers in key order. Numbers are copied
// exactly as the event wrote them (199.0 stays 199.0: `exact` JSON), so the
// two builds share plugins/crm-reshape-transform/example/cases.json.
import { exportTransform, json, path, PluginError } from 'herald-sdk';

const FIELDS = ['mapping', 'constants', 'required', 'headers', 'missing'];

/** Builds the CRM body from the event envelope. */
export function reshape(envelope, config) {
  const absent = config.required.find((p) => path.get(envelope, p) === undefined);
  if (absent !== undefined) throw PluginError.invalidEvent(`required field ${absent} is missing`, { permanent: true });
  const out = {};
  for (const [target, source] of config.mapping) {
    let value = path.get(envelope, source);
    if (value === undefined) {
      if (config.missing !== 'null') continue;
      value = null;
    }
    if (!path.set(out, target, json.clone(value))) throw PluginError.failed(`cannot write target ${target}`);
  }
  for (const [target, value] of config.constants) {
    if (!path.set(out, target, json.clone(value))) throw PluginError.failed(`cannot write target ${target}`);
  }
  return out;
}

export function crmReshape(event, request, config) {
  const body = reshape(event.envelope({ exact: true }), config);
  request.setJsonBody(body, { sortKeys: true });
  for (const [name, value] of config.headers) request.setHeader(name, value);
  return request;
}

export function checkConfig(config) {
  if (config.mapping.length === 0 && config.constants.length === 0) {
    throw PluginError.invalidConfig('`mapping` or `constants` must have an entry');
  }
  const targets = [...config.mapping, ...config.constants].map(([target]) => target);
  const empty = targets.find((t) => !path.isValid(t));
  if (empty !== undefined) throw PluginError.invalidConfig(`target ${debug(empty)} has an empty segment`);
  // A target that is also a prefix of another would be overwritten.
  for (const a of targets) {
    const b = targets.find((t) => t.startsWith(`${a}.`));
    if (b !== undefined) throw PluginError.invalidConfig(`target ${debug(a)} conflicts with ${debug(b)}`);
  }
}

export const transform = exportTransform(crmReshape, { config: readConfig, checkConfig, exact: true });

// --- config, with the Rust plugin's (serde's) messages --------------------

/** The config with its maps as [key, value] entries in key order (Rust's BTreeMap). */
export function readConfig(raw) {
  if (!isMap(raw)) throw PluginError.invalidConfig(`invalid type: ${unexpected(raw)}, expected struct Config`);
  const config = { mapping: undefined, constants: [], required: [], headers: [], missing: 'skip' };
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (key === 'mapping' || key === 'headers') config[key] = entries(value, true);
    else if (key === 'constants') config.constants = entries(value, false);
    else if (key === 'required') {
      if (!Array.isArray(value)) throw PluginError.invalidConfig(`invalid type: ${unexpected(value)}, expected a sequence`);
      config.required = value.map(string);
    } else if (key === 'missing') {
      if (typeof value !== 'string') throw PluginError.invalidConfig(`invalid type: ${unexpected(value)}, expected \`skip\` or \`null\``);
      if (value !== 'skip' && value !== 'null') throw PluginError.invalidConfig(`unknown variant \`${value}\`, expected \`skip\` or \`null\``);
      config.missing = value;
    } else {
      throw PluginError.invalidConfig(`unknown field \`${key}\`, expected one of ${FIELDS.map((f) => `\`${f}\``).join(', ')}`);
    }
  }
  if (config.mapping === undefined) throw PluginError.invalidConfig('missing field `mapping`');
  return config;
}

function entries(map, strings) {
  if (!isMap(map)) throw PluginError.invalidConfig(`invalid type: ${unexpected(map)}, expected a map`);
  return Object.keys(map)
    .sort(byCodePoint)
    .map((k) => [k, strings ? string(map[k]) : map[k]]);
}

function string(v) {
  if (typeof v !== 'string') throw PluginError.invalidConfig(`invalid type: ${unexpected(v)}, expected a string`);
  return v;
}

function isMap(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(typeof v.text === 'string');
}

/** How serde names a value it did not expect (numbers arrive as json.JsonNumber). */
function unexpected(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (typeof v === 'string') return `string ${debug(v)}`;
  if (Array.isArray(v)) return 'sequence';
  if (typeof v.text === 'string') return /[.eE]/.test(v.text) ? `floating point \`${Number(v)}\`` : `integer \`${v.text}\``;
  return 'map';
}

/** Code-point order (UTF-8 byte order): how Rust sorts String keys. */
function byCodePoint(a, b) {
  const x = Array.from(a, (c) => c.codePointAt(0));
  const y = Array.from(b, (c) => c.codePointAt(0));
  for (let i = 0; i < Math.min(x.length, y.length); i++) if (x[i] !== y[i]) return x[i] - y[i];
  return x.length - y.length;
}

/** A string as Rust's `{:?}` shows it (quotes and escapes). */
function debug(s) {
  let out = '"';
  for (const ch of s) {
    const c = ch.codePointAt(0);
    if (ch === '"' || ch === '\\') out += `\\${ch}`;
    else if (ch === '\n') out += '\\n';
    else if (ch === '\r') out += '\\r';
    else if (ch === '\t') out += '\\t';
    else if (c === 0) out += '\\0';
    else if (c < 0x20 || (c >= 0x7f && c < 0xa0)) out += `\\u{${c.toString(16)}}`;
    else out += ch;
  }
  return `${out}"`;
}
