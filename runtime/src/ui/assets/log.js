// Herald dashboard: a webhook's delivery log. Filter by status and time,
// page with the API's cursor, expand a row for the payload as sent and
// every attempt, retry one delivery. The live log polls the first page and
// updates rows in place (new deliveries appear at the top, statuses
// change) without reloading the page or closing an expanded row.
import {
  h, fill, api, enc, orgPath, canWrite, when, badge, pre, messageArea, field, table, button, cleanups,
} from './core.js';
import { codeBadge } from './views.js';

const STATUSES = [['', 'Any status'], ['pending', 'Pending'], ['succeeded', 'Succeeded'], ['failed', 'Failed'], ['dead', 'Dead'], ['filtered', 'Filtered']];
const POLL_MS = 2000;

/** A local `datetime-local` value as RFC 3339, or null. */
function isoOrNull(input) {
  if (!input.value) return null;
  const d = new Date(input.value);
  return Number.isNaN(d.getTime()) ? null : d.toISOString();
}

/** The log section. `options`: {status (fixed filter), live, title}. */
export function logView(org, w, options) {
  const messages = messageArea();
  const body = h('tbody');
  const more = h('div', { class: 'more' });
  const rows = new Map();
  const status = h('select', { name: 'status', attrs: { 'aria-label': 'Filter by status' } }, STATUSES.map(([v, t]) => h('option', { value: v, text: t })));
  const since = h('input', { type: 'datetime-local', name: 'since' });
  const until = h('input', { type: 'datetime-local', name: 'until' });
  const filters = options.status ? null : h('form', { class: 'row log-filters' },
    field('Status', status), field('From', since), field('To', until), h('button', { type: 'submit', text: 'Apply filters' }));
  const query = (cursor) => {
    const q = new URLSearchParams({ limit: '50' });
    const s = options.status || status.value;
    if (s) q.set('status', s);
    if (!options.status) {
      const a = isoOrNull(since), b = isoOrNull(until);
      if (a) q.set('since', a);
      if (b) q.set('until', b);
    }
    if (cursor) q.set('cursor', cursor);
    return `${orgPath(org)}/webhooks/${enc(w.id)}/deliveries?${q}`;
  };

  function cells(d, row) {
    const code = d.last_status_code ? codeBadge(d.last_status_code) : '—';
    fill(row.status, badge(d.status), d.next_attempt_at ? h('small', { class: 'muted', text: ` next ${when(d.next_attempt_at)}` }) : null);
    fill(row.code, code);
    row.code.title = d.last_error || '';
    fill(row.attempts, String(d.attempts));
  }

  function makeRow(d) {
    const detail = h('tr', { class: 'detail', hidden: true }, h('td', { colSpan: 8 }));
    const row = {
      status: h('td'), code: h('td'), attempts: h('td'), detail, open: false,
    };
    const expand = h('button', { type: 'button', text: 'Details', attrs: { 'aria-expanded': 'false', 'aria-label': `Details of ${d.id}` } });
    expand.addEventListener('click', async () => {
      row.open = !row.open;
      expand.setAttribute('aria-expanded', String(row.open));
      detail.hidden = !row.open;
      if (row.open) await loadDetail(d.id, detail.firstChild);
    });
    const retry = button('Retry', async () => {
      await api('POST', `${orgPath(org)}/deliveries/${enc(d.id)}/retry`);
      messages.ok(`${d.id} queued again.`);
      await refresh();
    }, messages, { disabled: !canWrite(), attrs: { 'aria-label': `Retry ${d.id}` } });
    row.main = h('tr', { attrs: { 'data-id': d.id } },
      h('td', {}, h('code', { text: d.id })),
      h('td', { text: when(d.created_at) }),
      h('td', {}, h('code', { text: d.event_type })),
      h('td', { class: 'url', text: d.url || w.url }),
      row.code, row.status, row.attempts,
      h('td', { class: 'actions' }, expand, retry));
    row.reload = () => (row.open ? loadDetail(d.id, detail.firstChild) : null);
    cells(d, row);
    return row;
  }

  async function loadDetail(id, cell) {
    try {
      const d = await api('GET', `${orgPath(org)}/deliveries/${enc(id)}`);
      fill(cell, h('div', { class: 'delivery-detail' },
        h('p', { class: 'muted', text: `Event ${d.event_id} · created ${when(d.created_at)} · updated ${when(d.updated_at)}` }),
        d.last_error ? h('p', { class: 'error', text: d.last_error }) : null,
        h('h4', { text: 'Payload as sent' }),
        d.payload === null ? h('p', { class: 'muted', text: 'The event has expired.' }) : pre(d.payload, `Payload of ${d.id}`),
        h('h4', { text: `Attempts (${d.attempts.length})` }),
        d.attempts.length ? d.attempts.map(attemptView) : h('p', { class: 'muted', text: 'No attempt yet.' })));
    } catch (e) { fill(cell, h('p', { class: 'error', text: e.message })); }
  }

  function place(items, atTop) {
    const anchor = body.firstChild;
    for (const d of items) {
      const known = rows.get(d.id);
      if (known) {
        const changed = known.last !== JSON.stringify(d);
        known.last = JSON.stringify(d);
        cells(d, known);
        if (changed) known.reload();
        continue;
      }
      const row = makeRow(d);
      row.last = JSON.stringify(d);
      rows.set(d.id, row);
      if (atTop && anchor) { body.insertBefore(row.main, anchor); body.insertBefore(row.detail, anchor); } else body.append(row.main, row.detail);
    }
  }

  function showMore(cursor) {
    fill(more, cursor ? button('Load more', async () => {
      const page = await api('GET', query(cursor));
      place(page.items, false);
      showMore(page.next_cursor);
    }, messages) : null);
  }

  async function refresh() {
    body.replaceChildren();
    rows.clear();
    const page = await api('GET', query(null));
    place(page.items, false);
    showMore(page.next_cursor);
    fill(empty, page.items.length ? null : h('p', { class: 'muted', text: 'No deliveries.' }));
  }

  async function poll() {
    const page = await api('GET', query(null));
    // New deliveries come first in the page: insert them above, newest on top.
    const fresh = page.items.filter((d) => !rows.has(d.id));
    place(page.items.filter((d) => rows.has(d.id)), false);
    if (fresh.length) place(fresh, true);
    if (page.items.length) fill(empty);
  }

  const empty = h('div');
  const tableEl = h('table', { class: 'list log', attrs: { 'aria-label': options.title } },
    h('thead', {}, h('tr', {}, ['ID', 'Date / time', 'Event type', 'URL', 'Response', 'Status', 'Attempts', ''].map((t) => h('th', { attrs: { scope: 'col' }, text: t })))),
    body);
  if (filters) filters.addEventListener('submit', (ev) => { ev.preventDefault(); messages.clear(); refresh().catch((e) => messages.error(e)); });
  const section = h('section', { class: 'card log-section' }, h('h2', { text: options.title }), filters, messages, tableEl, empty, more);
  section.refresh = () => refresh().catch((e) => messages.error(e));
  section.refresh();
  if (options.live) {
    let busy = false;
    const timer = setInterval(async () => {
      if (busy || document.hidden) return;
      busy = true;
      try { await poll(); } catch { /* the next poll retries */ } finally { busy = false; }
    }, POLL_MS);
    cleanups.push(() => clearInterval(timer));
  }
  return section;
}

/** One attempt: status, time, duration and its breakdown, request and response. */
export function attemptView(a) {
  const t = a.timings || {};
  const parts = [['DNS', t.dns_ms], ['connect', t.connect_ms], ['TLS', t.tls_ms], ['first byte', t.first_byte_ms], ['plugins', t.plugins_ms]]
    .filter(([, v]) => v !== null && v !== undefined).map(([k, v]) => `${k} ${v.toFixed(1)} ms`);
  const headerTable = (caption, hs) => table(caption, ['Header', 'Value'], Object.entries(hs || {}).map(([k, v]) => [h('code', { text: k }), v]), { class: 'headers' });
  return h('div', { class: 'attempt' },
    h('h4', {}, `Attempt ${a.number} `, badge(a.error ? 'dead' : 'succeeded', a.error ? `failed: ${a.error.class}` : 'ok'),
      a.status_code ? ` HTTP ${a.status_code}` : ''),
    h('p', { class: 'muted', text: `${when(a.at)} · ${a.duration_ms.toFixed(1)} ms${parts.length ? ` (${parts.join(', ')})` : ''}${t.reused_connection ? ' · reused connection' : ''}` }),
    a.error ? h('p', { class: 'error', text: a.error.message }) : null,
    headerTable('Request headers', a.request_headers),
    a.request_body !== undefined && a.request_body !== null
      ? h('div', {}, h('p', { class: 'label', text: `Body as sent, after transforms${a.request_body_truncated ? ' (cut at 64 KiB)' : ''}` }), pre(a.request_body, `Body sent in attempt ${a.number}`))
      : null,
    (a.plugin_logs || []).length
      ? table('Plugin log', ['Plugin', 'Level', 'Message'], a.plugin_logs.map((l) => [h('code', { text: l.plugin }), l.level, l.message]), { class: 'headers' })
      : null,
    a.status_code ? headerTable('Response headers', a.response_headers) : null,
    a.response_body !== null && a.response_body !== undefined
      ? h('div', {}, h('p', { class: 'label', text: `Response body${a.response_body_truncated ? ' (cut at 64 KiB)' : ''}` }), pre(a.response_body, `Response body of attempt ${a.number}`))
      : null);
}

