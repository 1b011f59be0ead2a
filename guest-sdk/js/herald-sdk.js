// herald-sdk: write Herald webhook plugins in JavaScript.
//
// A Herald plugin is a small WebAssembly component that runs inside Herald's
// delivery path for one webhook. A filter decides whether an event is
// delivered; a transform rewrites the outgoing request (body and headers)
// before Herald signs and sends it. Plugins are pure functions of the event
// and the webhook's JSON config for the plugin: they get a log function and
// nothing else (no files, network, environment or clock).
//
//   import { exportFilter, keep, drop, PluginError } from 'herald-sdk';
//
//   function bigOrders(event, config) {
//     const total = event.get('data.order.total');
//     return total >= config.min ? keep() : drop(`total ${total} is below ${config.min}`);
//   }
//
//   export const filter = exportFilter(bigOrders, {
//     config: (raw) => {
//       if (typeof raw?.min !== 'number') throw PluginError.invalidConfig('`min` must be a number');
//       return { min: raw.min };
//     },
//   });
//
// `herald plugin build DIR` compiles it with jco's QuickJS backend. That
// engine has no TextEncoder/TextDecoder, console, timers or fetch, and
// Date.now() and Math.random() trap: this module needs none of them.
//
// This is one ES module, the same text the CLI bundles as `herald-sdk`. It
// mirrors the Rust SDK (guest-sdk/src): Event, Request, verdicts,
// PluginError, path, log and the export helpers. The API reference is
// guest-sdk/js/README.md.

import { log as hostLog } from 'herald:plugin/log@0.1.0';

// ---------------------------------------------------------------------------
// Logging
// ---------------------------------------------------------------------------

const LEVELS = ['trace', 'debug', 'info', 'warn', 'error'];

function writeLog(level, message) {
  if (!LEVELS.includes(level)) {
    throw new TypeError(`log level must be one of ${LEVELS.join(', ')}, not ${String(level)}`);
  }
  hostLog(level, String(message));
}

/**
 * Logging into Herald's own log, tagged with the plugin and the webhook;
 * `herald plugin run` prints the lines. The host caps each line (a few KiB)
 * and the number of lines per call.
 */
export const log = Object.freeze({
  /** Writes one line at `level` ('trace' | 'debug' | 'info' | 'warn' | 'error'). */
  log: writeLog,
  trace: (message) => writeLog('trace', message),
  debug: (message) => writeLog('debug', message),
  info: (message) => writeLog('info', message),
  warn: (message) => writeLog('warn', message),
  error: (message) => writeLog('error', message),
});

// ---------------------------------------------------------------------------
// Errors and verdicts
// ---------------------------------------------------------------------------

const ERROR_KINDS = ['invalid-config', 'invalid-event', 'failed'];
const ERROR_PREFIX = {
  'invalid-config': 'invalid config',
  'invalid-event': 'invalid event',
  failed: 'failed',
};

/**
 * A plugin's own typed failure. Herald records it in the delivery log; a
 * failure at delivery time fails that attempt (and it is retried), a failure
 * in checkConfig rejects the webhook's save with the message.
 *
 * `kind` is 'invalid-config', 'invalid-event' or 'failed'; `message` is
 * exactly the text the host receives.
 */
export class PluginError extends Error {
  constructor(kind, message) {
    if (!ERROR_KINDS.includes(kind)) {
      throw new TypeError(`PluginError kind must be one of ${ERROR_KINDS.join(', ')}, not ${String(kind)}`);
    }
    super(String(message));
    this.name = 'PluginError';
    this.kind = kind;
  }

  /** The webhook's config for this plugin is not acceptable. */
  static invalidConfig(message) {
    return new PluginError('invalid-config', message);
  }

  /** The event cannot be handled by this plugin. */
  static invalidEvent(message) {
    return new PluginError('invalid-event', message);
  }

  /** Anything else went wrong. */
  static failed(message) {
    return new PluginError('failed', message);
  }

  /** "invalid config: <message>", as the Rust SDK displays it. */
  toString() {
    return `${ERROR_PREFIX[this.kind]}: ${this.message}`;
  }
}

/** Deliver the event. */
export function keep() {
  return { tag: 'keep' };
}

/** Do not deliver; the reason lands in the delivery log (status `filtered`). */
export function drop(reason) {
  return { tag: 'drop', val: String(reason) };
}

/** `Verdict.keep()` / `Verdict.drop(reason)`: the same two functions. */
export const Verdict = Object.freeze({ keep, drop });

// ---------------------------------------------------------------------------
// UTF-8 (QuickJS has no TextEncoder / TextDecoder)
// ---------------------------------------------------------------------------

// QuickJS has base64 built in (btoa/atob, Uint8Array.fromBase64 and
// toBase64): chained with the URI functions they convert UTF-8 in native
// code, ten times faster than a loop over characters in JavaScript (which is
// what engines without them, like Node 20, get).
const NATIVE_UTF8 =
  typeof btoa === 'function' &&
  typeof atob === 'function' &&
  typeof Uint8Array.fromBase64 === 'function' &&
  typeof Uint8Array.prototype.toBase64 === 'function' &&
  typeof String.prototype.toWellFormed === 'function';

const NON_ASCII = /[^\x00-\x7f]/;

/** Encodes a string as UTF-8 bytes; a lone surrogate becomes U+FFFD, as TextEncoder does. */
export function encodeUtf8(text) {
  const s = String(text);
  if (NATIVE_UTF8) {
    // ASCII is its own UTF-8. Else encodeURIComponent writes the UTF-8 bytes
    // as %XX and unescape makes each a char 0-255; btoa and fromBase64 turn
    // those chars into bytes.
    const bin = NON_ASCII.test(s) ? unescape(encodeURIComponent(s.toWellFormed())) : s;
    return Uint8Array.fromBase64(btoa(bin));
  }
  let size = 0;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x80) size += 1;
    else if (c < 0x800) size += 2;
    else if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      size += 4;
      i++;
    } else size += 3;
  }
  const out = new Uint8Array(size);
  let j = 0;
  for (let i = 0; i < s.length; i++) {
    let c = s.charCodeAt(i);
    if (c < 0x80) {
      out[j++] = c;
      continue;
    }
    if (c < 0x800) {
      out[j++] = 0xc0 | (c >> 6);
      out[j++] = 0x80 | (c & 0x3f);
      continue;
    }
    if (c >= 0xd800 && c <= 0xdfff) {
      const next = i + 1 < s.length ? s.charCodeAt(i + 1) : 0;
      if (c <= 0xdbff && (next & 0xfc00) === 0xdc00) {
        const cp = 0x10000 + ((c - 0xd800) << 10) + (next - 0xdc00);
        out[j++] = 0xf0 | (cp >> 18);
        out[j++] = 0x80 | ((cp >> 12) & 0x3f);
        out[j++] = 0x80 | ((cp >> 6) & 0x3f);
        out[j++] = 0x80 | (cp & 0x3f);
        i++;
        continue;
      }
      c = 0xfffd;
    }
    out[j++] = 0xe0 | (c >> 12);
    out[j++] = 0x80 | ((c >> 6) & 0x3f);
    out[j++] = 0x80 | (c & 0x3f);
  }
  return out;
}

/**
 * Decodes UTF-8 bytes. Malformed sequences become U+FFFD (one per maximal
 * invalid subpart, as TextDecoder does), or with `{ fatal: true }` throw a
 * TypeError naming the byte offset.
 */
export function decodeUtf8(bytes, { fatal = false } = {}) {
  const b = toBytes(bytes, 'decodeUtf8');
  if (NATIVE_UTF8) {
    try {
      // The reverse of encodeUtf8's chain; decodeURIComponent refuses
      // malformed UTF-8, which the loop below then handles.
      const bin = atob(b.toBase64());
      return NON_ASCII.test(bin) ? decodeURIComponent(escape(bin)) : bin;
    } catch (e) {
      if (!(e instanceof URIError)) throw e;
    }
  }
  return decodeUtf8Slowly(b, fatal);
}

function decodeUtf8Slowly(b, fatal) {
  const n = b.length;
  let out = '';
  let units = [];
  const flush = () => {
    out += String.fromCharCode.apply(null, units);
    units = [];
  };
  let i = 0;
  while (i < n) {
    const lead = b[i];
    if (lead < 0x80) {
      units.push(lead);
      i++;
    } else {
      let need;
      let cp;
      if (lead >= 0xc2 && lead <= 0xdf) {
        need = 1;
        cp = lead & 0x1f;
      } else if (lead >= 0xe0 && lead <= 0xef) {
        need = 2;
        cp = lead & 0x0f;
      } else if (lead >= 0xf0 && lead <= 0xf4) {
        need = 3;
        cp = lead & 0x07;
      } else {
        need = 0;
      }
      let k = 1;
      if (need > 0) {
        let lo = lead === 0xe0 ? 0xa0 : lead === 0xf0 ? 0x90 : 0x80;
        let hi = lead === 0xed ? 0x9f : lead === 0xf4 ? 0x8f : 0xbf;
        for (; k <= need; k++) {
          const c = i + k < n ? b[i + k] : -1;
          if (c < lo || c > hi) break;
          cp = (cp << 6) | (c & 0x3f);
          lo = 0x80;
          hi = 0xbf;
        }
      }
      if (need === 0 || k <= need) {
        if (fatal) throw new TypeError(`invalid UTF-8 at byte ${i}`);
        units.push(0xfffd);
        i += k;
      } else {
        if (cp >= 0x10000) {
          cp -= 0x10000;
          units.push(0xd800 + (cp >> 10), 0xdc00 + (cp & 0x3ff));
        } else {
          units.push(cp);
        }
        i += need + 1;
      }
    }
    if (units.length >= 8192) flush();
  }
  flush();
  return out;
}

function toBytes(value, what) {
  if (value instanceof Uint8Array) return value;
  if (typeof value === 'string') return encodeUtf8(value);
  if (value instanceof ArrayBuffer) return new Uint8Array(value);
  if (ArrayBuffer.isView(value)) return new Uint8Array(value.buffer, value.byteOffset, value.byteLength);
  if (Array.isArray(value)) return Uint8Array.from(value);
  throw new TypeError(`${what}: expected a Uint8Array or a string, got ${describe(value)}`);
}

function describe(value) {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'object') {
    const name = value.constructor && value.constructor.name;
    return name && name !== 'Object' ? `a ${name}` : 'an object';
  }
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  return `${typeof value} ${String(value)}`;
}

// ---------------------------------------------------------------------------
// JSON: exact numbers, insertion-ordered (or sorted) output
// ---------------------------------------------------------------------------

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

function isJsonObject(v) {
  return v !== null && typeof v === 'object' && !Array.isArray(v) && !(v instanceof JsonNumber);
}

function hasOwn(obj, key) {
  return Object.prototype.hasOwnProperty.call(obj, key);
}

// Sets an own data property, also for the key "__proto__".
function putOwn(obj, key, value) {
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

function parseJson(text, options) {
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

// ---------------------------------------------------------------------------
// Dotted paths (guest-sdk/src/path.rs)
// ---------------------------------------------------------------------------

function checkPath(p) {
  if (typeof p !== 'string') return 'a path must be a string';
  if (p === '') return 'a path must not be empty';
  const index = p.split('.').indexOf('');
  return index < 0 ? null : `segment ${index + 1} of the path is empty`;
}

// The array index a segment names, if it is one (ASCII digits only), else -1.
function segmentIndex(segment) {
  if (!/^[0-9]+$/.test(segment)) return -1;
  const i = Number(segment);
  return Number.isSafeInteger(i) ? i : -1;
}

function pathGet(value, p) {
  if (checkPath(p) !== null) return undefined;
  let current = value;
  for (const segment of p.split('.')) {
    if (Array.isArray(current)) {
      const i = segmentIndex(segment);
      if (i < 0 || i >= current.length) return undefined;
      current = current[i];
    } else if (isJsonObject(current)) {
      if (!hasOwn(current, segment)) return undefined;
      current = current[segment];
    } else {
      return undefined;
    }
  }
  return current;
}

function pathSet(value, p, newValue) {
  if (checkPath(p) !== null) return false;
  const segments = p.split('.');
  let current = value;
  for (let s = 0; s < segments.length; s++) {
    const segment = segments[s];
    const last = s === segments.length - 1;
    if (Array.isArray(current)) {
      const i = segmentIndex(segment);
      if (i < 0 || i >= current.length) return false;
      if (last) {
        current[i] = newValue;
        return true;
      }
      current = current[i];
    } else if (isJsonObject(current)) {
      if (last) {
        putOwn(current, segment, newValue);
        return true;
      }
      if (!hasOwn(current, segment)) putOwn(current, segment, {});
      current = current[segment];
    } else {
      return false;
    }
  }
  return false;
}

function walk(value, segments, at, f) {
  const head = segments[at];
  if (at === segments.length - 1) {
    let keys = [];
    if (Array.isArray(value)) {
      if (head === '*') keys = value.map((_, i) => i);
      else {
        const i = segmentIndex(head);
        if (i >= 0 && i < value.length) keys = [i];
      }
    } else if (isJsonObject(value)) {
      if (head === '*') keys = Object.keys(value);
      else if (hasOwn(value, head)) keys = [head];
    }
    for (const key of keys) f(value, key);
    return keys.length;
  }
  if (Array.isArray(value)) {
    if (head === '*') return value.reduce((n, v) => n + walk(v, segments, at + 1, f), 0);
    const i = segmentIndex(head);
    return i >= 0 && i < value.length ? walk(value[i], segments, at + 1, f) : 0;
  }
  if (isJsonObject(value)) {
    if (head === '*') return Object.keys(value).reduce((n, k) => n + walk(value[k], segments, at + 1, f), 0);
    return hasOwn(value, head) ? walk(value[head], segments, at + 1, f) : 0;
  }
  return 0;
}

function pathForEachMatch(value, p, f) {
  if (checkPath(p) !== null) return 0;
  return walk(value, p.split('.'), 0, f);
}

function pathRemove(value, p) {
  const found = [];
  pathForEachMatch(value, p, (parent, key) => found.push([parent, key]));
  // Last first, so removing an array element does not shift the ones still to go.
  for (let k = found.length - 1; k >= 0; k--) {
    const [parent, key] = found[k];
    if (Array.isArray(parent)) parent.splice(key, 1);
    else delete parent[key];
  }
  return found.length;
}

/**
 * The dotted paths Herald's native trigger filters use too
 * (guest-sdk/src/path.rs, pinned by guest-sdk/src/path_vectors.json).
 *
 * A path is one or more segments separated by '.': `data.order.status`,
 * `data.items.0.sku`. Against an object a segment is a member name; against
 * an array it is an element index written in ASCII digits (`0`, `12`; not
 * `+1` or `-1`). No segment may be empty, so '', 'a..b', '.a' and 'a.' are
 * not paths, and a member whose name contains '.' cannot be addressed.
 * forEachMatch and remove (and only they) also take '*' for "every member
 * or element".
 */
export const path = Object.freeze({
  /** null when `p` is a path, else why not ("segment 2 of the path is empty"). */
  check: checkPath,
  /** Whether `p` is a path. */
  isValid: (p) => checkPath(p) === null,
  /** The value at `p`, or undefined when absent (a JSON null is found as null). */
  get: pathGet,
  /** The same as get (the Rust name). */
  lookup: pathGet,
  /**
   * Sets the value at `p`, creating intermediate objects as needed. Returns
   * false (changing nothing) when `p` is not a path, a segment runs into a
   * scalar, or an array index is out of range.
   */
  set: pathSet,
  /**
   * Calls f(parent, key) for every match of `p` ('*' matches every member or
   * element): key is the member name, or the element's index as a number
   * (`items.01` gives 1), so `parent[key]` is the match. Returns the count.
   */
  forEachMatch: pathForEachMatch,
  /** Removes every match of `p` (members deleted, elements spliced out); returns the count. */
  remove: pathRemove,
});

// ---------------------------------------------------------------------------
// Event
// ---------------------------------------------------------------------------

/**
 * The event being delivered, as the webhook's plugins see it (read-only).
 * Fields: id, eventType, timestamp (RFC 3339), org, environment (string or
 * null), webhookId, data (the payload, JSON text).
 */
export class Event {
  #data = new Map();
  #envelope = new Map();

  constructor(record) {
    const r = record || {};
    this.id = String(r.id ?? '');
    this.eventType = String(r.eventType ?? '');
    this.timestamp = String(r.timestamp ?? '');
    this.org = String(r.org ?? '');
    this.environment = r.environment == null ? null : String(r.environment);
    this.webhookId = String(r.webhookId ?? '');
    this.data = String(r.data ?? 'null');
  }

  /**
   * An event with placeholder ids and timestamp, for native unit tests. `data`
   * is JSON text (or a value, which is serialized).
   */
  static example(eventType, data = '{}') {
    return new Event({
      id: 'evt_example',
      eventType,
      timestamp: '2026-01-01T00:00:00Z',
      org: 'org_example',
      environment: null,
      webhookId: 'wh_example',
      data: typeof data === 'string' ? data : json.stringify(data),
    });
  }

  /**
   * The payload parsed (once; later calls return the same value, so treat it
   * as read-only or copy it with json.clone). Malformed JSON throws
   * PluginError.invalidEvent. `{ exact: true }`: numbers as JsonNumber.
   */
  dataJson(options) {
    const exact = !!(options && options.exact);
    if (!this.#data.has(exact)) {
      let value;
      try {
        value = parseJson(this.data, { exact });
      } catch (e) {
        if (!(e instanceof SyntaxError)) throw e;
        throw PluginError.invalidEvent(`event data is not valid JSON: ${e.message}`);
      }
      this.#data.set(exact, value);
    }
    return this.#data.get(exact);
  }

  /**
   * The event as the JSON envelope Herald sends by default:
   * `{id, type, timestamp, environment?, data}` (environment only when set).
   * Dotted paths such as `data.order.total` are relative to it, exactly like
   * Herald's native trigger filters. Cached like dataJson.
   */
  envelope(options) {
    const exact = !!(options && options.exact);
    if (!this.#envelope.has(exact)) {
      const env = { id: this.id, type: this.eventType, timestamp: this.timestamp };
      if (this.environment !== null) env.environment = this.environment;
      env.data = this.dataJson({ exact });
      this.#envelope.set(exact, env);
    }
    return this.#envelope.get(exact);
  }

  /** The value at a dotted path of the envelope (`data.order.total`, `type`), or undefined. */
  get(p, options) {
    return pathGet(this.envelope(options), p);
  }
}

// ---------------------------------------------------------------------------
// Request
// ---------------------------------------------------------------------------

function asciiLower(s) {
  return String(s).replace(/[A-Z]/g, (c) => String.fromCharCode(c.charCodeAt(0) + 32));
}

/**
 * The outgoing HTTP request before Herald signs and sends it: `headers`, an
 * array of [name, value] pairs (names compare case-insensitively), and
 * `body`, the exact bytes (Uint8Array). `new Request()` has neither.
 */
export class Request {
  constructor(headers = [], body = new Uint8Array(0)) {
    this.headers = Array.from(headers, (h) => [String(h[0]), String(h[1])]);
    this.body = toBytes(body, 'Request body');
  }

  /** A request with `value` as its JSON body and content-type application/json. */
  static json(value, options) {
    const r = new Request();
    r.setJsonBody(value, options);
    return r;
  }

  /** The value of the first header named `name` (ASCII case-insensitive), or null. */
  header(name) {
    const want = asciiLower(name);
    const found = this.headers.find(([n]) => asciiLower(n) === want);
    return found ? found[1] : null;
  }

  /** Sets a header, replacing every existing header of that name. */
  setHeader(name, value) {
    this.removeHeader(name);
    this.headers.push([String(name), String(value)]);
  }

  /** Removes every header named `name`; returns whether one was present. */
  removeHeader(name) {
    const want = asciiLower(name);
    const before = this.headers.length;
    this.headers = this.headers.filter(([n]) => asciiLower(n) !== want);
    return this.headers.length !== before;
  }

  /** The body as text (malformed UTF-8 becomes U+FFFD). */
  bodyText() {
    return decodeUtf8(this.body);
  }

  /**
   * The body parsed as JSON; malformed JSON (or UTF-8) throws
   * PluginError.invalidEvent. `{ exact: true }`: numbers as JsonNumber.
   */
  jsonBody(options) {
    let text;
    try {
      text = decodeUtf8(this.body, { fatal: true });
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
      throw PluginError.invalidEvent(`request body is not valid JSON: ${e.message}`);
    }
    try {
      return parseJson(text, options);
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      throw PluginError.invalidEvent(`request body is not valid JSON: ${e.message}`);
    }
  }

  /**
   * Replaces the body with `value` as compact JSON (json.stringify: keys in
   * insertion order, or sorted with `{ sortKeys: true }`) and sets
   * content-type: application/json.
   */
  setJsonBody(value, options) {
    this.body = encodeUtf8(json.stringify(value, options));
    this.setHeader('content-type', 'application/json');
  }

  /**
   * Replaces the body with `body` (a Uint8Array, or a string sent as UTF-8)
   * and, when given, sets its content type.
   */
  setBody(body, contentType) {
    this.body = toBytes(body, 'setBody');
    if (contentType !== undefined) this.setHeader('content-type', contentType);
  }
}

// ---------------------------------------------------------------------------
// Exports
// ---------------------------------------------------------------------------

function isPluginError(e) {
  return e instanceof PluginError || (e instanceof Error && e.name === 'PluginError' && ERROR_KINDS.includes(e.kind));
}

function isWitError(e) {
  return e !== null && typeof e === 'object' && !(e instanceof Error) && ERROR_KINDS.includes(e.tag) && typeof e.val === 'string';
}

// QuickJS reports a failed allocation (its memory at Herald's cap) as an
// InternalError ("out of memory", or garbled when even the message could not
// be made), or as null. Any InternalError but a stack overflow is taken as one.
function isOutOfMemory(e) {
  return e === null || (e instanceof Error && e.name === 'InternalError' && !/stack overflow/i.test(e.message));
}

function errorText(e) {
  if (e instanceof Error) return `${e.name || 'Error'}: ${e.message}`;
  return `thrown ${describe(e)}`;
}

// The WIT error variant for anything thrown. An unexpected exception is
// reported as failed("<name>: <message>") and its stack goes to the log.
// Running out of memory is rethrown: the call traps and Herald reports it as
// out_of_memory (its memory cap), not as the plugin's own error.
function toWitError(e, stage) {
  if (isOutOfMemory(e)) {
    try {
      hostLog('error', `${stage} ran out of memory (${e === null ? 'null' : e.message}): the call traps`);
    } catch (_) {
      // no memory left to log with
    }
    throw e;
  }
  if (isPluginError(e)) return { tag: e.kind, val: e.message };
  if (isWitError(e)) return { tag: e.tag, val: e.val };
  const text = errorText(e);
  try {
    const stack = e instanceof Error && typeof e.stack === 'string' && e.stack.trim() ? `\n${e.stack}` : '';
    hostLog('error', `${stage} threw ${text}${stack}`);
  } catch (_) {
    // logging is best effort
  }
  return { tag: 'failed', val: text };
}

function configReader(options, what) {
  const opts = options || {};
  const { config, checkConfig, exact } = opts;
  for (const key of Object.keys(opts)) {
    if (!['config', 'checkConfig', 'exact'].includes(key)) {
      throw new TypeError(`${what}: unknown option ${key} (expected config, checkConfig, exact)`);
    }
  }
  if (config !== undefined && typeof config !== 'function') {
    throw new TypeError(`${what}: config must be a function turning the parsed config into your value`);
  }
  if (checkConfig !== undefined && typeof checkConfig !== 'function') {
    throw new TypeError(`${what}: checkConfig must be a function`);
  }
  // Parsed configs by text: an instance normally sees one webhook's config,
  // so this stays tiny; it is capped anyway.
  const cache = new Map();
  const read = (text) => {
    const key = String(text);
    if (cache.has(key)) return cache.get(key);
    let parsed;
    try {
      parsed = key.trim() === '' ? null : parseJson(key, { exact: !!exact });
    } catch (e) {
      if (!(e instanceof SyntaxError)) throw e;
      throw PluginError.invalidConfig(`config is not valid JSON: ${e.message}`);
    }
    let value = parsed;
    if (config) {
      try {
        value = config(parsed);
      } catch (e) {
        // A config function that crashes was handed a config it cannot read.
        if (isPluginError(e) || isWitError(e) || isOutOfMemory(e)) throw e;
        throw PluginError.invalidConfig(errorText(e));
      }
    }
    if (cache.size >= 8) cache.delete(cache.keys().next().value);
    cache.set(key, value);
    return value;
  };
  return { read, checkConfig };
}

function checkResult(value, what) {
  if (value !== null && typeof value === 'object' && typeof value.then === 'function') {
    throw PluginError.failed(`${what} returned a Promise: plugins run synchronously, do not use async`);
  }
  return value;
}

function toWitVerdict(v) {
  if (v !== null && typeof v === 'object') {
    if (v.tag === 'keep') return { tag: 'keep' };
    if (v.tag === 'drop' && typeof v.val === 'string') return { tag: 'drop', val: v.val };
  }
  throw PluginError.failed(`the filter returned ${describe(v)}, not keep() or drop(reason)`);
}

function toWitRequest(r) {
  if (r === null || typeof r !== 'object' || !Array.isArray(r.headers)) {
    throw PluginError.failed(`the transform returned ${describe(r)}, not a Request`);
  }
  const headers = r.headers.map((h, i) => {
    if (!Array.isArray(h) || h.length !== 2) {
      throw PluginError.failed(`header ${i} is ${describe(h)}, not a [name, value] pair`);
    }
    return [String(h[0]), String(h[1])];
  });
  let body;
  try {
    body = toBytes(r.body === undefined ? new Uint8Array(0) : r.body, 'the returned body');
  } catch (e) {
    throw PluginError.failed(e.message);
  }
  return { headers, body };
}

/**
 * The filter export: `export const filter = exportFilter(fn, { config, checkConfig, exact })`.
 *
 * - `fn(event, config)` returns keep() or drop(reason); `event` is an Event.
 * - `config(parsed)` (optional) turns the parsed JSON config (null for an
 *   empty one) into your value; throw PluginError.invalidConfig for a bad
 *   one. It runs once per distinct config text, not per event. Without it
 *   `fn` gets the parsed JSON.
 * - `checkConfig(config)` (optional): further checks when a webhook is saved
 *   (Herald's check-config); throw PluginError.invalidConfig. Not run per event.
 * - `exact: true` parses the config with json.parse(text, { exact: true }).
 *
 * A thrown PluginError becomes the WIT error; anything else thrown becomes
 * failed("<name>: <message>") (and a crash inside `config` invalid-config),
 * so it reaches the delivery log instead of trapping.
 */
export function exportFilter(fn, options) {
  if (typeof fn !== 'function') throw new TypeError('exportFilter: the first argument must be your filter function');
  const { read, checkConfig } = configReader(options, 'exportFilter');
  return {
    checkConfig(configText) {
      try {
        const config = read(configText);
        if (checkConfig) checkResult(checkConfig(config), 'checkConfig');
      } catch (e) {
        throw toWitError(e, 'checkConfig');
      }
    },
    filter(record, configText) {
      try {
        const config = read(configText);
        return toWitVerdict(checkResult(fn(new Event(record), config), 'the filter'));
      } catch (e) {
        throw toWitError(e, 'the filter');
      }
    },
  };
}

/**
 * The transform export: `export const transform = exportTransform(fn, { config, checkConfig, exact })`.
 * `fn(event, request, config)` returns the Request to send (usually the one
 * it was given, changed); the options are exportFilter's.
 */
export function exportTransform(fn, options) {
  if (typeof fn !== 'function') throw new TypeError('exportTransform: the first argument must be your transform function');
  const { read, checkConfig } = configReader(options, 'exportTransform');
  return {
    checkConfig(configText) {
      try {
        const config = read(configText);
        if (checkConfig) checkResult(checkConfig(config), 'checkConfig');
      } catch (e) {
        throw toWitError(e, 'checkConfig');
      }
    },
    transform(record, request, configText) {
      try {
        const config = read(configText);
        const req = new Request(request.headers, request.body);
        return toWitRequest(checkResult(fn(new Event(record), req, config), 'the transform'));
      } catch (e) {
        throw toWitError(e, 'the transform');
      }
    },
  };
}
