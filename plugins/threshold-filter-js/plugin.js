// Threshold filter (JavaScript port of plugins/threshold-filter): keeps an
// event when a numeric field is above (and/or below) configured amounts,
// e.g. "orders whose total is above 100".
//
// Config: {"path": "data.order.total", "above": 100, "below": 10000, "missing": "drop"}
// - path: dotted path into the event envelope ({id, type, timestamp, environment, data}).
// - above / below: exclusive bounds; at least one is required.
// - missing: "drop" (default) or "keep" when the field is absent or not a number.
//
// Numbers given as strings ("12.50", common for money) are accepted. Drop
// reasons and config errors are word for word the Rust plugin's, numbers
// printed as Rust prints an f64, so the two builds share
// plugins/threshold-filter/example/cases.json.
import { exportFilter, keep, drop, PluginError } from 'herald-sdk';

const FIELDS = ['path', 'above', 'below', 'missing'];

/** Reads the webhook's config, with the Rust plugin's (serde's) messages. */
export function readConfig(raw) {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) {
    throw PluginError.invalidConfig(`invalid type: ${unexpected(raw)}, expected struct Config`);
  }
  const config = { path: undefined, above: null, below: null, missing: 'drop' };
  for (const key of Object.keys(raw)) {
    const value = raw[key];
    if (!FIELDS.includes(key)) {
      throw PluginError.invalidConfig(`unknown field \`${key}\`, expected one of ${FIELDS.map((f) => `\`${f}\``).join(', ')}`);
    }
    if (key === 'path') {
      if (typeof value !== 'string') throw PluginError.invalidConfig(`invalid type: ${unexpected(value)}, expected a string`);
      config.path = value;
    } else if (key === 'missing') {
      if (typeof value !== 'string') throw PluginError.invalidConfig(`invalid type: ${unexpected(value)}, expected \`drop\` or \`keep\``);
      if (value !== 'drop' && value !== 'keep') throw PluginError.invalidConfig(`unknown variant \`${value}\`, expected \`drop\` or \`keep\``);
      config.missing = value;
    } else if (value !== null) {
      if (typeof value !== 'number') throw PluginError.invalidConfig(`invalid type: ${unexpected(value)}, expected f64`);
      config[key] = value;
    }
  }
  if (config.path === undefined) throw PluginError.invalidConfig('missing field `path`');
  return config;
}

export function checkConfig(config) {
  if (rustTrim(config.path) === '') throw PluginError.invalidConfig('`path` must not be empty');
  const { above, below } = config;
  if (above === null && below === null) throw PluginError.invalidConfig('set `above`, `below` or both');
  if (above !== null && below !== null && above >= below) {
    throw PluginError.invalidConfig(`\`above\` (${f64(above)}) must be less than \`below\` (${f64(below)}): no value could pass`);
  }
}

export function threshold(event, config) {
  const value = number(event.get(config.path));
  if (value === null) {
    return config.missing === 'keep' ? keep() : drop(`${config.path} is missing or not a number`);
  }
  if (config.above !== null && value <= config.above) {
    return drop(`${config.path} = ${f64(value)} is not above ${f64(config.above)}`);
  }
  if (config.below !== null && value >= config.below) {
    return drop(`${config.path} = ${f64(value)} is not below ${f64(config.below)}`);
  }
  return keep();
}

export const filter = exportFilter(threshold, { config: readConfig, checkConfig });

// --- Rust's number rules -------------------------------------------------

/** A JSON number, or a string Rust's `str::parse::<f64>` accepts after trimming; else null. */
function number(value) {
  if (typeof value === 'number') return value;
  if (typeof value !== 'string') return null;
  const s = rustTrim(value);
  if (!/^[+-]?(?:inf|infinity|nan|(?:[0-9]+\.?[0-9]*|\.[0-9]+)(?:e[+-]?[0-9]+)?)$/i.test(s)) return null;
  if (/nan$/i.test(s)) return NaN;
  if (/inf(inity)?$/i.test(s)) return s[0] === '-' ? -Infinity : Infinity;
  return Number(s);
}

/** `str::trim`: Unicode White_Space (unlike String#trim, U+0085 yes, U+FEFF no). */
function rustTrim(s) {
  const ws = '[\\t\\n\\v\\f\\r \\u0085\\u00a0\\u1680\\u2000-\\u200a\\u2028\\u2029\\u202f\\u205f\\u3000]+';
  return s.replace(new RegExp(`^${ws}|${ws}$`, 'g'), '');
}

/** An f64 as Rust's `{}` prints it: shortest digits, never an exponent. */
function f64(n) {
  if (Number.isNaN(n)) return 'NaN';
  if (n === Infinity) return 'inf';
  if (n === -Infinity) return '-inf';
  if (n === 0) return Object.is(n, -0) ? '-0' : '0';
  const s = String(n);
  const m = /^(-?)([0-9]+)(?:\.([0-9]+))?e([+-][0-9]+)$/.exec(s);
  if (!m) return s;
  const [, sign, int, frac = '', exp] = m;
  const digits = int + frac;
  const point = int.length + Number(exp);
  if (point <= 0) return `${sign}0.${'0'.repeat(-point)}${digits}`;
  if (point >= digits.length) return sign + digits + '0'.repeat(point - digits.length);
  return `${sign}${digits.slice(0, point)}.${digits.slice(point)}`;
}

/** How serde names a value it did not expect. */
function unexpected(v) {
  if (v === null) return 'null';
  if (typeof v === 'boolean') return `boolean \`${v}\``;
  if (typeof v === 'number') return Number.isInteger(v) ? `integer \`${v}\`` : `floating point \`${v}\``;
  if (typeof v === 'string') return `string ${JSON.stringify(v)}`;
  return Array.isArray(v) ? 'sequence' : 'map';
}
