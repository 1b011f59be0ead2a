// What the JavaScript SDK's native tests share: a WIT event record as jco
// hands it over, calling an export as the host sees it, capturing log lines.

// A WIT event record, as jco hands it to the export.
export function record(data, extra = {}) {
  return {
    id: 'evt_1',
    eventType: 'order.created',
    timestamp: '2026-01-01T00:00:00Z',
    org: 'org_1',
    environment: null,
    webhookId: 'wh_1',
    data: typeof data === 'string' ? data : JSON.stringify(data),
    ...extra,
  };
}

// Calls an export and returns {ok} or {err} the way the host sees it.
export function call(f, ...args) {
  try {
    return { ok: f(...args) };
  } catch (e) {
    return { err: e };
  }
}

export function captureLogs(f) {
  globalThis.heraldLogs = [];
  try {
    f();
    return globalThis.heraldLogs;
  } finally {
    globalThis.heraldLogs = undefined;
  }
}
