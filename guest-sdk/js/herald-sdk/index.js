// herald-sdk/index.js: write Herald webhook plugins in JavaScript.
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
// Date.now() and Math.random() trap: the SDK needs none of them.
//
// This module is the package's entry point (`herald-sdk`, which the CLI
// writes as node_modules/herald-sdk/ with the modules below next to it) and
// owns nothing but the public API: it re-exports it, one module per concern:
//   utf8.js    encodeUtf8, decodeUtf8
//   json.js    JsonNumber, json (exact parsing, sorted output)
//   path.js    path (dotted paths)
//   types.js   log, PluginError, keep, drop, Verdict, Event, Request
//   export.js  exportFilter, exportTransform (and the WIT conversions)
// It mirrors the Rust SDK (guest-sdk/src): Event, Request, verdicts,
// PluginError, path, log and the export helpers. The API reference is
// guest-sdk/js/README.md.

export { decodeUtf8, encodeUtf8 } from './utf8.js';
export { JsonNumber, json } from './json.js';
export { path } from './path.js';
export { Event, PluginError, Request, Verdict, drop, keep, log } from './types.js';
export { exportFilter, exportTransform } from './export.js';
