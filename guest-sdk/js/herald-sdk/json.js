// herald-sdk/json.js: JSON with exact numbers and insertion-ordered (or
// sorted) output.
//
// Owns JsonNumber and json (public: json.parse with `exact`, json.stringify
// with `sortKeys`, json.clone), and the helpers the other modules share:
// parseJson (json.parse itself), isJsonObject, hasOwn and putOwn (an own
// data property, also for "__proto__").

import { describe } from './utf8.js';

/**
 * A JSON number kept as its source text, from `json.parse(text, { exact: true })`.
 * JavaScript numbers cannot tell `199.0` from `199` and round integers above
 * 2^53 (`12345678901234567890`); a JsonNumber keeps the text, and
 * `json.stringify` / `setJsonBody` write it back unchanged. It compares and
 * computes as a number (`valueOf`); `text` and `toString()` are the source.
 */
export class JsonNumber {
  constructor(text) {
    const t = String(text);
    if (!/^-?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][+-]?[0-9]+)?$/.test(t)) {
      throw new TypeError(`not a JSON number: ${JSON.stringify(t)}`);
    }
    this.text = t;
  }

  valueOf() {
    return Number(this.text);
  }

  toString() {
    return this.text;
  }

  /** JSON.stringify writes the text too where the engine has JSON.rawJSON (Herald's QuickJS does). */
  toJSON() {
    return RAW_JSON ? JSON.rawJSON(this.text) : Number(this.text);
  }
}

// What the engine offers: JSON.rawJSON, and the source text of each
// primitive in JSON.parse's reviver (ES2025; QuickJS has both, Node 20
// neither). Without them the SDK does the same in JavaScript, slower.
const RAW_JSON = typeof JSON.rawJSON === 'function';
const SOURCE_TEXT = (() => {
  let ok = false;
  try {
    JSON.parse('[1.0]', (key, value, context) => {
      if (key === '0') ok = !!context && context.source === '1.0';
      return value;
    });
  } catch (_) {
    // no reviver context
  }
  return ok;
})();

function exactReviver(_key, value, context) {
  return typeof value === 'number' ? jsonNumberOf(context.source) : value;
}

export function isJsonObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonNumber);
}

export function hasOwn(obj, key) {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

// Sets an own data property, also for the key "__proto__".
export function putOwn(obj, key, value) {
  if (key === '__proto__') {
    Object.defineProperty(obj, key, { value, writable: true, enumerable: true, configurable: true });
  } else {
    obj[key] = value;
  }
}

// Orders strings by code point (= UTF-8 byte order, Rust's BTreeMap order).
function compareCodePoints(a, b) {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    let x = a.charCodeAt(i);
    let y = b.charCodeAt(i);
    if (x === y) continue;
    // A surrogate (a code point above U+FFFF) sorts after every BMP unit.
    if (x >= 0xd800 && x <= 0xdfff) x += 0x10000;
    if (y >= 0xd800 && y <= 0xdfff) y += 0x10000;
    return x - y;
  }
  return a.length - b.length;
}

// A JsonNumber from text known to be a JSON number (no second check).
function jsonNumberOf(text) {
  const n = Object.create(JsonNumber.prototype);
  n.text = text;
  return n;
}

// Parses JSON text already known to be valid (JSON.parse checked it),
// numbers as JsonNumber. Strings are skipped with indexOf, native code in
// QuickJS, where a loop over their characters would cost several times more.
function parseExact(text) {
  let i = 0;
  const skip = () => {
    for (;;) {
      const c = text.charCodeAt(i);
      if (c === 0x20 || c === 0x0a || c === 0x0d || c === 0x09) i++;
      else return c;
    }
  };
  const string = () => {
    const start = i + 1;
    let end = text.indexOf('"', start);
    // A quote preceded by an odd number of backslashes is escaped.
    for (;;) {
      let k = end - 1;
      while (text.charCodeAt(k) === 0x5c) k--;
      if ((end - 1 - k) % 2 === 0) break;
      end = text.indexOf('"', end + 1);
    }
    i = end + 1;
    const raw = text.slice(start, end);
    return raw.indexOf('\\') < 0 ? raw : JSON.parse(`"${raw}"`);
  };
  const value = () => {
    const c = skip();
    if (c === 0x22) return string();
    if (c === 0x7b) {
      // {
      i++;
      const obj = {};
      if (skip() === 0x7d) {
        i++;
        return obj;
      }
      for (;;) {
        skip();
        const key = string();
        skip();
        i++; // ':'
        putOwn(obj, key, value());
        if (skip() === 0x7d) {
          i++;
          return obj;
        }
        i++; // ','
      }
    }
    if (c === 0x5b) {
      // [
      i++;
      const arr = [];
      if (skip() === 0x5d) {
        i++;
        return arr;
      }
      for (;;) {
        arr.push(value());
        if (skip() === 0x5d) {
          i++;
          return arr;
        }
        i++; // ','
      }
    }
    if (c === 0x74) {
      i += 4;
      return true;
    }
    if (c === 0x66) {
      i += 5;
      return false;
    }
    if (c === 0x6e) {
      i += 4;
      return null;
    }
    const start = i;
    for (;;) {
      const d = text.charCodeAt(++i);
      // digits, '+', '-', '.', 'e', 'E'
      if (!((d >= 0x30 && d <= 0x39) || d === 0x2b || d === 0x2d || d === 0x2e || d === 0x65 || d === 0x45)) break;
    }
    return jsonNumberOf(text.slice(start, i));
  };
  return value();
}

export function parseJson(text, options) {
  const t = String(text);
  if (!(options && options.exact)) return JSON.parse(t);
  if (SOURCE_TEXT) return JSON.parse(t, exactReviver);
  JSON.parse(t); // validates, with the engine's message
  return parseExact(t);
}

function stringifyJson(value, options) {
  const sortKeys = !!(options && options.sortKeys);
  // The engine's own is faster, and writes JsonNumbers through JSON.rawJSON.
  if (!sortKeys && RAW_JSON) return JSON.stringify(value);
  const stack = [];
  const write = (key, v) => {
    if (v !== null && typeof v === 'object' && !(v instanceof JsonNumber) && typeof v.toJSON === 'function') {
      v = v.toJSON(key);
    }
    if (v === null) return 'null';
    if (v instanceof JsonNumber) return v.text;
    if (v instanceof Number) v = Number(v);
    else if (v instanceof String) v = String(v);
    else if (v instanceof Boolean) v = v.valueOf();
    switch (typeof v) {
      case 'boolean':
        return v ? 'true' : 'false';
      case 'number':
        return Number.isFinite(v) ? String(v) : 'null';
      case 'bigint':
        throw new TypeError('cannot serialize a BigInt as JSON (use a JsonNumber)');
      case 'string':
        return JSON.stringify(v);
      case 'undefined':
      case 'function':
      case 'symbol':
        return undefined;
      default:
        break;
    }
    if (stack.includes(v)) throw new TypeError('cannot serialize a cyclic structure as JSON');
    stack.push(v);
    let out;
    if (Array.isArray(v)) {
      const parts = [];
      for (let i = 0; i < v.length; i++) {
        const s = write(String(i), v[i]);
        parts.push(s === undefined ? 'null' : s);
      }
      out = `[${parts.join(',')}]`;
    } else {
      let keys = Object.keys(v);
      if (sortKeys) keys = keys.sort(compareCodePoints);
      const parts = [];
      for (const k of keys) {
        const s = write(k, v[k]);
        if (s !== undefined) parts.push(`${JSON.stringify(k)}:${s}`);
      }
      out = `{${parts.join(',')}}`;
    }
    stack.pop();
    return out;
  };
  return write('', value);
}

/**
 * JSON helpers.
 * - `json.parse(text, { exact })`: JSON.parse; with `exact: true` every
 *   number is a JsonNumber keeping its source text (see JsonNumber).
 * - `json.stringify(value, { sortKeys })`: compact JSON like JSON.stringify
 *   (keys in insertion order; JavaScript puts integer-like keys such as "10"
 *   first), writing JsonNumbers as their text; a BigInt is a TypeError, as
 *   in JSON.stringify. With `sortKeys: true` object keys are written sorted
 *   (by code point), as the Rust SDK's `serde_json::Value` does.
 * - `json.clone(value)`: a deep copy (JsonNumbers are shared: they are immutable).
 */
export const json = Object.freeze({
  parse: parseJson,
  stringify(value, options) {
    const out = stringifyJson(value, options);
    if (out === undefined) throw new TypeError(`cannot serialize ${describe(value)} as JSON`);
    return out;
  },
  clone: function clone(value) {
    if (Array.isArray(value)) return value.map(clone);
    if (isJsonObject(value)) {
      const out = {};
      for (const k of Object.keys(value)) putOwn(out, k, clone(value[k]));
      return out;
    }
    return value;
  },
});
