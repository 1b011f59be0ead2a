// herald-sdk/export.js: the plugin's WIT exports.
//
// Owns exportFilter and exportTransform (public): they wrap the plugin's
// function into the object jco exports (checkConfig, filter / transform),
// and convert between WIT and the SDK's types: the event record into an
// Event, the request in and out of a Request, the verdict, and anything
// thrown into the WIT error record (running out of memory is rethrown).

import { log as hostLog } from 'herald:plugin/log@0.2.0';
import { parseJson } from './json.js';
import { ERROR_KINDS, Event, PluginError, Request } from './types.js';
import { describe, toBytes } from './utf8.js';

function isPluginError(e) {
  return e instanceof PluginError || (e instanceof Error && e.name === 'PluginError' && ERROR_KINDS.includes(e.kind));
}

// The WIT error record as jco represents it: {kind, message, permanent},
// `kind` an error-kind case name ('invalid-event'), thrown as it is by code
// that speaks WIT directly. A missing `permanent` counts as false.
function isWitError(e) {
  return (
    e !== null &&
    typeof e === 'object' &&
    !(e instanceof Error) &&
    ERROR_KINDS.includes(e.kind) &&
    typeof e.message === 'string' &&
    (e.permanent === undefined || typeof e.permanent === 'boolean')
  );
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

// The WIT error record for anything thrown: {kind, message, permanent}, as
// jco lowers it (the enum as its case name). An unexpected exception is
// reported as a failed error that is not permanent, "<name>: <message>", and
// its stack goes to the log. Running out of memory is rethrown: the call
// traps and Herald reports it as out_of_memory (its memory cap), not as the
// plugin's own error.
function toWitError(e, stage) {
  if (isOutOfMemory(e)) {
    try {
      hostLog('error', `${stage} ran out of memory (${e === null ? 'null' : e.message}): the call traps`);
    } catch (_) {
      // no memory left to log with
    }
    throw e;
  }
  if (isPluginError(e) || isWitError(e)) return { kind: e.kind, message: e.message, permanent: e.permanent === true };
  const text = errorText(e);
  try {
    const stack = e instanceof Error && typeof e.stack === 'string' && e.stack.trim() ? `\n${e.stack}` : '';
    hostLog('error', `${stage} threw ${text}${stack}`);
  } catch (_) {
    // logging is best effort
  }
  return { kind: 'failed', message: text, permanent: false };
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

/** The check-config export both worlds share: reads the config as a call
 * would, then runs the plugin's own `checkConfig`, if any. */
function checkConfigExport(read, checkConfig) {
  return (configText) => {
    try {
      const config = read(configText);
      if (checkConfig) checkResult(checkConfig(config), 'checkConfig');
    } catch (e) {
      throw toWitError(e, 'checkConfig');
    }
  };
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
    checkConfig: checkConfigExport(read, checkConfig),
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
    checkConfig: checkConfigExport(read, checkConfig),
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
