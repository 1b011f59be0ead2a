// Native tests of the JavaScript SDK (guest-sdk/js/herald-sdk/), all of
// them: `node guest-sdk/js/test-herald-sdk.mjs` (Node.js >= 20.6, nothing to
// install). They are in two files, each runnable alone with `node FILE`:
// - test-herald-sdk-data.mjs: path (every vector of
//   guest-sdk/src/path_vectors.json, which the Rust SDK and Herald's runtime
//   run too), UTF-8 and JSON;
// - test-herald-sdk-plugin.mjs: Event, Request, verdicts, errors, log and
//   exportFilter / exportTransform.
await import('./test-herald-sdk-data.mjs');
await import('./test-herald-sdk-plugin.mjs');
