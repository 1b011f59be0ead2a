// Runs Herald JavaScript plugins (and the SDK) natively in Node.js (>= 20.6),
// for unit tests:
//
//   node --import /path/to/herald/guest-sdk/js/herald-node.mjs my-plugin.test.mjs
//
// or, first thing in a test file: `await import('/path/to/herald/guest-sdk/js/herald-node.mjs')`
// (then import the plugin or the SDK with a dynamic `await import(...)`).
//
// It resolves the two imports that only exist inside Herald's build:
// - 'herald-sdk' -> guest-sdk/js/herald-sdk/index.js (next to this file),
//   whose modules, like the CLI's node_modules/herald-sdk, load as ES modules;
// - 'herald:plugin/log@0.2.0' (the contract's log import, of any version)
//   -> a stand-in host log: a line goes to stderr as "[plugin info] message",
//   or, when `globalThis.heraldLogs` is an array, is pushed onto it as
//   {level, message} for the test to inspect.
import { register } from 'node:module';

const sdkDir = new URL('./herald-sdk/', import.meta.url).href;
const sdk = new URL('index.js', sdkDir).href;

const hostLog = `
export function log(level, message) {
  if (Array.isArray(globalThis.heraldLogs)) globalThis.heraldLogs.push({ level, message });
  else process.stderr.write('[plugin ' + level + '] ' + message + '\\n');
}
`;

const hooks = `
const sdkDir = ${JSON.stringify(sdkDir)};
const sdk = ${JSON.stringify(sdk)};
const hostLog = ${JSON.stringify('data:text/javascript,' + encodeURIComponent(hostLog))};
export async function resolve(specifier, context, next) {
  if (specifier.startsWith('herald:plugin/log@')) return { url: hostLog, format: 'module', shortCircuit: true };
  if (specifier === 'herald-sdk') return { url: sdk, format: 'module', shortCircuit: true };
  return next(specifier, context);
}
export async function load(url, context, next) {
  if (url.startsWith(sdkDir)) return { ...(await next(url, { ...context, format: 'module' })), format: 'module', shortCircuit: true };
  return next(url, context);
}
`;

register('data:text/javascript,' + encodeURIComponent(hooks));
