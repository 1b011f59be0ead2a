// herald-sdk/types.js: what a plugin function handles and returns.
//
// Owns log (lines into Herald's log, through the host's log import),
// PluginError, the verdicts (keep, drop, Verdict), Event (the event being
// delivered) and Request (the outgoing HTTP request), all public, and
// ERROR_KINDS, which export.js checks thrown errors against.

import { log as hostLog } from 'herald:plugin/log@0.2.0';
import { json, parseJson } from './json.js';
import { pathGet } from './path.js';
import { decodeUtf8, encodeUtf8, toBytes } from './utf8.js';

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

export const ERROR_KINDS = ['invalid-config', 'invalid-event', 'failed'];
const ERROR_PREFIX = {
  'invalid-config': 'invalid config',
  'invalid-event': 'invalid event',
  failed: 'failed',
};

// PluginError's options: `{ permanent }` (a boolean, default false), or none.
function errorOptions(options) {
  if (options === undefined || options === null) return false;
  if (typeof options !== 'object') {
    throw new TypeError(`PluginError options must be an object such as { permanent: true }, not ${typeof options}`);
  }
  for (const key of Object.keys(options)) {
    if (key !== 'permanent') throw new TypeError(`PluginError: unknown option ${key} (expected permanent)`);
  }
  const permanent = options.permanent ?? false;
  if (typeof permanent !== 'boolean') {
    throw new TypeError(`PluginError permanent must be a boolean, not ${typeof permanent}`);
  }
  return permanent;
}

/**
 * A plugin's own typed failure. Herald records it in the delivery log; a
 * failure in checkConfig rejects the webhook's save with the message. At
 * delivery time it fails that attempt, which the webhook's retry schedule
 * retries, unless it is permanent: then Herald records the delivery as dead
 * at once, with the message, and never retries it by itself (it can still be
 * retried by hand).
 *
 * `kind` is 'invalid-config', 'invalid-event' or 'failed'; `message` is
 * exactly the text the host receives; `permanent` (default false) says that
 * trying again can never help (e.g. the event lacks a field the partner
 * requires): `PluginError.invalidEvent('…', { permanent: true })`.
 */
export class PluginError extends Error {
  constructor(kind, message, options) {
    if (!ERROR_KINDS.includes(kind)) {
      throw new TypeError(`PluginError kind must be one of ${ERROR_KINDS.join(', ')}, not ${String(kind)}`);
    }
    const permanent = errorOptions(options);
    super(String(message));
    this.name = 'PluginError';
    this.kind = kind;
    this.permanent = permanent;
  }

  /** The webhook's config for this plugin is not acceptable. */
  static invalidConfig(message, options) {
    return new PluginError('invalid-config', message, options);
  }

  /** The event cannot be handled by this plugin. */
  static invalidEvent(message, options) {
    return new PluginError('invalid-event', message, options);
  }

  /** Anything else went wrong. */
  static failed(message, options) {
    return new PluginError('failed', message, options);
  }

  /** "invalid config: <message>", as the Rust SDK displays it ("… (permanent)" when permanent). */
  toString() {
    const text = `${ERROR_PREFIX[this.kind]}: ${this.message}`;
    return this.permanent ? `${text} (permanent)` : text;
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
