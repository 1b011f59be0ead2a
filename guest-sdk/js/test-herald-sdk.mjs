// Native tests of the JavaScript SDK (guest-sdk/js/herald-sdk/), all of
// them: `node guest-sdk/js/test-herald-sdk.mjs` (Node.js >= 20.6, nothing to
// install). They are in three files, each runnable alone with `node FILE`:
// - test-herald-sdk-data.mjs: path (every vector of
//   guest-sdk/src/path_vectors.json, which the Rust SDK and Herald's runtime
//   run too), UTF-8 and JSON;
// - test-herald-sdk-plugin.mjs: Event, Request, log and
//   exportFilter / exportTransform;
// - test-herald-sdk-errors.mjs: verdicts, PluginError (permanent or not) and
//   the WIT error record the exports hand Herald.
await import('./test-herald-sdk-data.mjs');
await import('./test-herald-sdk-plugin.mjs');
await import('./test-herald-sdk-errors.mjs');
