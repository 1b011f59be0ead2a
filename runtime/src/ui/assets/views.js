// Herald dashboard: sign-in, the webhooks list, and the operator's screens
// (orgs, API keys, event-type catalogue, plugins, health).
import {
  h, fill, api, enc, orgPath, route, go, home, session, canWrite, when, badge, pre,
  messageArea, field, table, button, cleanups,
} from './core.js';

// ---- sign-in ----

route('#/sign-in', async () => {
  if (session.current) { go(home()); return h('p'); }
  const messages = messageArea();
  const token = h('input', { type: 'password', name: 'token', autocomplete: 'off', required: true });
  const form = h('form', { class: 'card narrow' },
    h('h1', { text: 'Sign in to Herald' }),
    h('p', { class: 'muted', text: 'Use the operator key or one of your org\'s API keys. The key is exchanged for a session cookie; it is not kept in this browser.' }),
    field('API key', token),
    messages,
    h('button', { type: 'submit', text: 'Sign in' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.clear();
    try {
      session.current = await api('POST', '/ui/session', { token: token.value });
      go(home());
    } catch (e) { messages.error(e); }
  });
  return form;
});

// ---- webhooks list ----

route('#/orgs/:org/webhooks', async ({ org }) => {
  const page = await api('GET', `${orgPath(org)}/webhooks?limit=200`);
  const messages = messageArea();
  const rows = await Promise.all(page.items.map(async (w) => {
    let stats = null;
    try { stats = await api('GET', `${orgPath(org)}/webhooks/${enc(w.id)}/stats`); } catch { /* no logs:read */ }
    const day = stats ? stats['24h'] : null;
    const last = stats ? stats.last_attempt : null;
    return [
      h('a', { href: `#/orgs/${enc(org)}/webhooks/${enc(w.id)}`, text: w.name }),
      h('span', { class: 'url', text: w.url }),
      w.triggers.map((t) => h('span', { class: 'tag', text: t.event })),
      toggle(org, w, messages),
      day && day.success_rate !== null ? `${(day.success_rate * 100).toFixed(1)}%` : '—',
      last ? h('span', {}, when(last.at), ' ', codeBadge(last.status_code, last.status)) : '—',
    ];
  }));
  return h('section', {},
    h('div', { class: 'title-row' },
      h('h1', { text: 'Webhooks' }),
      canWrite() ? h('a', { class: 'button', href: `#/orgs/${enc(org)}/webhooks/new`, text: 'New webhook' }) : null),
    session.current.operator ? orgTabs(org, 'webhooks') : null,
    session.current.read_only ? h('p', { class: 'notice', text: 'This session is read-only.' }) : null,
    messages,
    rows.length
      ? table(null, ['Name', 'URL', 'Event types', 'Active', 'Success (24 h)', 'Last attempt'], rows, { class: 'list', attrs: { 'aria-label': 'Webhooks' } })
      : h('p', { class: 'muted', text: 'No webhooks yet.' }));
});

/** A response code as a badge (2xx green, others red), or the status without one. */
export function codeBadge(code, status) {
  if (!code) return badge(status);
  return badge(code >= 200 && code < 300 ? 'succeeded' : 'dead', String(code));
}

/** The on/off switch of a webhook: a PATCH of `active`, nothing more asked. */
export function toggle(org, w, messages) {
  const box = h('input', { type: 'checkbox', checked: w.active, disabled: !canWrite(), attrs: { role: 'switch', 'aria-label': `Active: ${w.name}` } });
  const label = h('span', { class: 'switch-label', text: w.active ? 'On' : 'Off', attrs: { 'aria-hidden': 'true' } });
  box.addEventListener('change', async () => {
    const wanted = box.checked;
    box.disabled = true;
    try {
      const updated = await api('PATCH', `${orgPath(org)}/webhooks/${enc(w.id)}`, { active: wanted });
      w.active = updated.active;
    } catch (e) {
      box.checked = !wanted;
      if (messages) messages.error(e);
    } finally {
      box.disabled = !canWrite();
      label.textContent = box.checked ? 'On' : 'Off';
    }
  });
  return h('label', { class: 'switch' }, box, label);
}

// ---- operator: orgs ----

/** Tabs of an org's pages, for the operator. */
export function orgTabs(org, current) {
  const tabs = [['webhooks', 'Webhooks'], ['keys', 'API keys'], ['portal', 'Portal link']];
  return h('nav', { class: 'tabs', attrs: { 'aria-label': 'Org' } },
    tabs.map(([k, t]) => h('a', { href: `#/orgs/${enc(org)}/${k}`, text: t, attrs: { 'aria-current': k === current ? 'page' : null } })));
}

route('#/orgs', async () => {
  const page = await api('GET', '/v1/orgs?limit=500');
  const messages = messageArea();
  const name = h('input', { type: 'text', name: 'name', required: true });
  const form = h('form', { class: 'inline' }, field('New org name', name), h('button', { type: 'submit', text: 'Create org' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    try {
      const org = await api('POST', '/v1/orgs', { name: name.value });
      go(`#/orgs/${enc(org.id)}/webhooks`);
    } catch (e) { messages.error(e); }
  });
  return h('section', {}, h('h1', { text: 'Orgs' }), form, messages,
    table(null, ['Name', 'Id', 'Created'], page.items.map((o) => [
      h('a', { href: `#/orgs/${enc(o.id)}/webhooks`, text: o.name }), h('code', { text: o.id }), when(o.created_at)]),
    { class: 'list', attrs: { 'aria-label': 'Orgs' } }));
});

// ---- API keys ----

const PERMISSIONS = ['webhooks:read', 'webhooks:write', 'events:write', 'logs:read', 'keys:write'];

route('#/orgs/:org/keys', async ({ org }) => {
  const page = await api('GET', `${orgPath(org)}/api-keys?limit=500`);
  const messages = messageArea();
  const shown = h('div', { attrs: { 'aria-live': 'polite' } });
  const name = h('input', { type: 'text', name: 'name', required: true });
  const boxes = PERMISSIONS.map((p) => h('input', { type: 'checkbox', value: p, checked: p !== 'keys:write', attrs: { 'aria-label': p } }));
  const form = h('form', { class: 'card' },
    h('h2', { text: 'New key' }), field('Name', name),
    h('fieldset', {}, h('legend', { text: 'Permissions' }), boxes.map((b) => h('label', { class: 'check' }, b, b.value))),
    h('button', { type: 'submit', text: 'Create key' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.clear();
    try {
      const key = await api('POST', `${orgPath(org)}/api-keys`, { name: name.value, permissions: boxes.filter((b) => b.checked).map((b) => b.value) });
      fill(shown, h('div', { class: 'card secret' }, h('p', { text: 'The key, shown this once:' }), h('input', { type: 'text', readOnly: true, value: key.key, attrs: { 'aria-label': 'New API key' } })));
    } catch (e) { messages.error(e); }
  });
  const rows = page.items.map((k) => [k.name, h('code', { text: k.id }), k.permissions.join(', '), when(k.created_at),
    button('Revoke', async () => { await api('DELETE', `${orgPath(org)}/api-keys/${enc(k.id)}`); go(`#/orgs/${enc(org)}/keys`); }, messages, { attrs: { 'aria-label': `Revoke key ${k.name}` } })]);
  return h('section', {}, h('h1', { text: 'API keys' }), session.current.operator ? orgTabs(org, 'keys') : null,
    messages, shown, form, table(null, ['Name', 'Id', 'Permissions', 'Created', ''], rows, { class: 'list', attrs: { 'aria-label': 'API keys' } }));
});

// ---- portal links ----

route('#/orgs/:org/portal', async ({ org }) => {
  const messages = messageArea();
  const readOnly = h('input', { type: 'checkbox', name: 'read_only' });
  const expires = h('input', { type: 'text', name: 'expires_in', value: '1h' });
  const out = h('div', { attrs: { 'aria-live': 'polite' } });
  const form = h('form', { class: 'card' },
    h('p', { class: 'muted', text: 'A one-time link that opens this org\'s webhooks and logs, without an API key. Your platform\'s backend makes these with POST /v1/orgs/{org}/portal-sessions.' }),
    h('label', { class: 'check' }, readOnly, 'Read-only'),
    field('Expires in', expires, 'From 1m to 7d, like 1h or 30m'),
    h('button', { type: 'submit', text: 'Create portal link' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.clear();
    try {
      const link = await api('POST', `${orgPath(org)}/portal-sessions`, { read_only: readOnly.checked, expires_in: expires.value });
      fill(out, h('div', { class: 'card secret' }, h('p', { text: `One-time link, valid until ${when(link.expires_at)}:` }),
        h('input', { type: 'text', readOnly: true, value: link.url, attrs: { 'aria-label': 'Portal link' } })));
    } catch (e) { messages.error(e); }
  });
  return h('section', {}, h('h1', { text: 'Portal link' }), orgTabs(org, 'portal'), messages, form, out);
});

// ---- event types ----

route('#/event-types', async () => {
  const page = await api('GET', '/v1/event-types');
  const messages = messageArea();
  const type = h('input', { type: 'text', name: 'type', required: true, placeholder: 'order.created' });
  const description = h('textarea', { name: 'description', rows: 2 });
  const example = h('textarea', { name: 'example', rows: 4, value: '{}' });
  const filterable = h('input', { type: 'text', name: 'filterable', placeholder: 'data.order.status, data.total' });
  const form = h('form', { class: 'card' }, h('h2', { text: 'Add or replace an event type' }),
    field('Type', type), field('Description', description), field('Example data (JSON)', example),
    field('Filterable paths', filterable, 'Comma-separated dotted paths; empty: any path'),
    h('button', { type: 'submit', text: 'Save event type' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.clear();
    let data;
    try { data = JSON.parse(example.value || '{}'); } catch (e) { messages.error(`Example data: ${e.message}`); return; }
    try {
      await api('PUT', `/v1/event-types/${enc(type.value.trim())}`, {
        description: description.value, example: data,
        filterable: filterable.value.split(',').map((s) => s.trim()).filter(Boolean),
      });
      go(`#/event-types`);
    } catch (e) { messages.error(e); }
  });
  return h('section', {}, h('h1', { text: 'Event types' }), messages, form,
    table(null, ['Type', 'Description', 'Filterable', 'Example'], page.items.map((t) => [
      h('code', { text: t.type }), t.builtin ? `${t.description} (Herald's own operational event)` : t.description, t.filterable.join(', ') || 'any',
      h('details', {}, h('summary', { text: 'Example' }), pre(t.example, `Example of ${t.type}`))]),
    { class: 'list', attrs: { 'aria-label': 'Event types' } }));
});

// ---- plugins ----

route('#/plugins', async () => {
  const messages = messageArea();
  const verdict = h('div', { attrs: { 'aria-live': 'polite' } });
  const listBox = h('div');
  async function loadList() {
    const page = await api('GET', '/v1/plugins');
    const rows = page.items.map((p) => [h('code', { text: `${p.name}@${p.version}` }), p.world, h('code', { text: p.sha256.slice(0, 12) }),
      (p.used_by || []).length ? p.used_by.join(', ') : 'no webhook',
      button('Delete', async () => { await api('DELETE', `/v1/plugins/${enc(p.name)}/${enc(p.version)}`); await loadList(); }, messages, { attrs: { 'aria-label': `Delete ${p.name}@${p.version}` } })]);
    fill(listBox, table(null, ['Plugin', 'World', 'SHA-256', 'Used by', ''], rows, { class: 'list', attrs: { 'aria-label': 'Plugins' } }));
  }
  const name = h('input', { type: 'text', name: 'name', required: true, placeholder: 'threshold-filter' });
  const version = h('input', { type: 'text', name: 'version', required: true, placeholder: '1.0.0' });
  const file = h('input', { type: 'file', name: 'wasm', accept: '.wasm', required: true });
  const form = h('form', { class: 'card' }, h('h2', { text: 'Upload a plugin' }),
    h('p', { class: 'muted', text: 'The component is checked as `herald plugin check` does: it must be a WebAssembly component of a Herald world (filter or transform).' }),
    field('Name', name), field('Version', version), field('Component (.wasm)', file),
    h('button', { type: 'submit', text: 'Upload and check' }));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.clear();
    fill(verdict);
    const f = file.files[0];
    if (!f) { messages.error('Choose a .wasm file'); return; }
    try {
      const p = await api('PUT', `/v1/plugins/${enc(name.value.trim())}/${enc(version.value.trim())}`, await f.arrayBuffer());
      fill(verdict, h('div', { class: 'card ok' }, h('p', { text: `Accepted: ${p.name}@${p.version}, a ${p.world}.` }), h('p', { class: 'muted', text: `SHA-256 ${p.sha256}` })));
      await loadList();
    } catch (e) {
      fill(verdict, h('div', { class: 'card bad' }, h('p', { text: 'Refused:' }), h('p', { class: 'error', attrs: { role: 'alert' }, text: e.message })));
    }
  });
  await loadList();
  return h('section', {}, h('h1', { text: 'Plugins' }), messages, verdict, form, listBox);
});

// ---- health ----

/** Sums of a Prometheus text exposition's samples by metric and one label. */
function metricSums(text) {
  const sums = {};
  for (const line of text.split('\n')) {
    const m = line.match(/^([a-z_]+)(\{([^}]*)\})? ([0-9.eE+-]+)$/);
    if (!m) continue;
    const label = (m[3] || '').match(/(?:outcome|result|queue)="([^"]*)"/);
    const key = m[1] + (label ? `:${label[1]}` : '');
    sums[key] = (sums[key] || 0) + Number(m[4]);
  }
  return sums;
}

route('#/health', async () => {
  const out = h('div', { attrs: { 'aria-live': 'polite' } });
  let previous = null;
  async function refresh() {
    const ready = await fetch('/readyz').then((r) => r.json()).catch((e) => ({ status: 'unreachable', reason: e.message }));
    const sums = metricSums(await fetch('/metrics').then((r) => r.text()).catch(() => ''));
    const now = Date.now();
    const rate = (k) => (previous && previous.sums[k] !== undefined ? ((sums[k] || 0) - previous.sums[k]) / ((now - previous.at) / 1000) : null);
    const fmtRate = (k) => { const r = rate(k); return r === null ? '…' : `${r.toFixed(1)}/s`; };
    const rows = [
      ['Events accepted', sums.herald_events_ingested_total || 0, fmtRate('herald_events_ingested_total')],
      ['Deliveries succeeded', sums['herald_deliveries_total:succeeded'] || 0, fmtRate('herald_deliveries_total:succeeded')],
      ['Deliveries dead', sums['herald_deliveries_total:dead'] || 0, fmtRate('herald_deliveries_total:dead')],
      ['Deliveries filtered', sums['herald_deliveries_total:filtered'] || 0, fmtRate('herald_deliveries_total:filtered')],
      ['Queued (stream)', sums['herald_queue_depth:stream'] || 0, ''],
      ['Waiting to retry', sums['herald_queue_depth:retries'] || 0, ''],
    ];
    previous = { sums, at: now };
    fill(out,
      h('p', {}, 'Redis: ', badge(ready.status === 'ready' ? 'succeeded' : 'dead', ready.status), ready.reason ? ` ${ready.reason}` : ''),
      table('This process since it started', ['Counter', 'Total', 'Rate'], rows, { class: 'list' }));
  }
  await refresh();
  const timer = setInterval(() => refresh().catch(() => {}), 5000);
  cleanups.push(() => clearInterval(timer));
  return h('section', {}, h('h1', { text: 'Health and throughput' }), out);
});

export { metricSums };
