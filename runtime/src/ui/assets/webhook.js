// Herald dashboard: one webhook. The create / edit form, and the detail
// page: secret, test send, stats with a chart, the live delivery log with
// every attempt, retry, replay and the dead-letter list.
import {
  h, fill, api, enc, orgPath, route, go, session, canWrite, when, badge, pre,
  messageArea, field, table, button, cleanups,
} from './core.js';
import { toggle, orgTabs } from './views.js';
import { logView, attemptView } from './log.js';

// ---- create / edit ----

const OPS = [['equals', 'equals'], ['not_equals', 'not equals'], ['in', 'in (comma-separated)'], ['not_in', 'not in (comma-separated)']];

function select(name, options, value, label) {
  return h('select', { name, attrs: { 'aria-label': label } },
    options.map(([v, t]) => h('option', { value: v, text: t, selected: v === value })));
}

/** One filter row: path (from the type's filterable list when it has one), op, value. */
function filterRow(filterable, rule, onRemove) {
  const path = filterable.length
    ? select('path', filterable.map((p) => [p, p]), rule.path, 'Filter field')
    : h('input', { type: 'text', name: 'path', value: rule.path || '', placeholder: 'data.order.status', attrs: { 'aria-label': 'Filter field' } });
  const op = select('op', OPS, rule.op || 'equals', 'Filter comparison');
  const shown = rule.value === undefined ? '' : Array.isArray(rule.value) ? rule.value.join(', ') : String(rule.value);
  const value = h('input', { type: 'text', name: 'value', value: shown, attrs: { 'aria-label': 'Filter value' } });
  const row = h('div', { class: 'row filter' }, path, op, value, h('button', { type: 'button', text: 'Remove', attrs: { 'aria-label': 'Remove filter' }, on: { click: () => { row.remove(); onRemove(); } } }));
  row.read = () => {
    const parse = (t) => { const s = t.trim(); if (s === 'true') return true; if (s === 'false') return false; if (s !== '' && !Number.isNaN(Number(s))) return Number(s); return s; };
    const v = op.value === 'in' || op.value === 'not_in' ? value.value.split(',').map(parse).filter((x) => x !== '') : parse(value.value);
    return { path: path.value.trim(), op: op.value, value: v };
  };
  return row;
}

/** The event-type picker: the catalogue grouped by kind, each with description,
 * example payload and its filters. */
function triggerPicker(catalogue, triggers) {
  const chosen = new Map((triggers || []).map((t) => [t.event, t.filters || []]));
  const readers = [];
  const groups = new Map();
  for (const t of catalogue) {
    const kind = t.type.includes('.') ? t.type.split('.')[0] : t.type;
    if (!groups.has(kind)) groups.set(kind, []);
    groups.get(kind).push(t);
  }
  const sections = [...groups.entries()].map(([kind, types]) => h('fieldset', { class: 'group' }, h('legend', { text: kind }),
    types.map((t) => {
      const box = h('input', { type: 'checkbox', value: t.type, checked: chosen.has(t.type), attrs: { 'aria-label': `Event type ${t.type}` } });
      const filters = h('div', { class: 'filters' });
      const rows = [];
      const add = (rule) => { const r = filterRow(t.filterable, rule, () => rows.splice(rows.indexOf(r), 1)); rows.push(r); filters.append(r); };
      (chosen.get(t.type) || []).forEach(add);
      const addButton = h('button', { type: 'button', text: 'Add filter', attrs: { 'aria-label': `Add filter on ${t.type}` }, on: { click: () => add({ path: t.filterable[0] || '', op: 'equals' }) } });
      readers.push(() => (box.checked ? [{ event: t.type, filters: rows.map((r) => r.read()) }] : []));
      return h('div', { class: 'event-type' },
        h('label', { class: 'check' }, box, h('code', { text: t.type })),
        t.description ? h('p', { class: 'muted', text: t.description }) : null,
        h('details', {}, h('summary', { text: 'Example payload' }), pre(t.example, `Example of ${t.type}`)),
        filters, addButton);
    })));
  // Herald's own (builtin) types are always listed; the rest is free text
  // while the operator's catalogue is empty.
  let free = null;
  if (!catalogue.some((t) => !t.builtin)) {
    const typed = (triggers || []).filter((t) => !t.event.startsWith('herald.'));
    free = h('input', { type: 'text', name: 'events', value: typed.map((t) => t.event).join(', '), placeholder: 'order.created, order.paid' });
    readers.push(() => free.value.split(',').map((s) => s.trim()).filter(Boolean).map((event) => ({ event, filters: chosen.get(event) || [] })));
  }
  const el = h('div', {}, free ? field('Event types (comma-separated; the catalogue is empty)', free) : null, h('div', { class: 'types' }, sections));
  el.read = () => readers.flatMap((r) => r());
  return el;
}

/** Key/value rows (custom headers). */
function pairsEditor(pairs, label) {
  const box = h('div', { class: 'pairs' });
  const rows = [];
  const add = (k = '', v = '') => {
    const name = h('input', { type: 'text', value: k, attrs: { 'aria-label': `${label} name` } });
    const value = h('input', { type: 'text', value: v, attrs: { 'aria-label': `${label} value` } });
    const row = h('div', { class: 'row' }, name, value, h('button', { type: 'button', text: 'Remove', attrs: { 'aria-label': `Remove ${label.toLowerCase()}` }, on: { click: () => { row.remove(); rows.splice(rows.indexOf(row), 1); } } }));
    row.read = () => [name.value.trim(), value.value];
    rows.push(row);
    box.append(row);
  };
  Object.entries(pairs || {}).forEach(([k, v]) => add(k, v));
  const el = h('div', {}, box, h('button', { type: 'button', text: `Add ${label.toLowerCase()}`, on: { click: () => add() } }));
  el.read = () => Object.fromEntries(rows.map((r) => r.read()).filter(([k]) => k));
  return el;
}

/** Receiver authentication: none, basic, bearer, custom header. */
function authEditor(auth) {
  const type = select('auth', [['none', 'None'], ['basic', 'Basic'], ['bearer', 'Bearer token'], ['header', 'Custom header']], auth.type, 'Authentication');
  const inputs = {
    username: h('input', { type: 'text', name: 'username', value: auth.username || '' }),
    password: h('input', { type: 'password', name: 'password', autocomplete: 'new-password', placeholder: auth.type === 'basic' ? 'unchanged' : '' }),
    token: h('input', { type: 'password', name: 'token', autocomplete: 'new-password', placeholder: auth.type === 'bearer' ? 'unchanged' : '' }),
    name: h('input', { type: 'text', name: 'header_name', value: auth.name || '' }),
    value: h('input', { type: 'password', name: 'header_value', autocomplete: 'new-password', placeholder: auth.type === 'header' ? 'unchanged' : '' }),
  };
  const parts = {
    basic: [field('Username', inputs.username), field('Password', inputs.password)],
    bearer: [field('Token', inputs.token)],
    header: [field('Header name', inputs.name), field('Header value', inputs.value)],
  };
  const box = h('div', { class: 'auth-fields' });
  const show = () => fill(box, parts[type.value] || []);
  type.addEventListener('change', show);
  show();
  const el = h('div', {}, field('Authentication', type), box);
  // `undefined`: unchanged (stored credentials are never sent back to the page).
  el.read = () => {
    const t = type.value;
    if (t === auth.type && !inputs.password.value && !inputs.token.value && !inputs.value.value
      && inputs.username.value === (auth.username || '') && inputs.name.value === (auth.name || '')) return undefined;
    if (t === 'none') return { type: 'none' };
    if (t === 'basic') return { type: 'basic', username: inputs.username.value, password: inputs.password.value };
    if (t === 'bearer') return { type: 'bearer', token: inputs.token.value };
    return { type: 'header', name: inputs.name.value, value: inputs.value.value };
  };
  return el;
}

/** Plugin rows of one kind (filters or transforms), each with its config and its own error line. */
function pluginList(kind, registered, refs) {
  const world = kind === 'filters' ? 'filter' : 'transform';
  const available = registered.filter((p) => p.world.includes(world)).map((p) => `${p.name}@${p.version}`);
  const box = h('div', { class: 'plugins' });
  const rows = [];
  const add = (ref = { plugin: available[0] || '', config: {} }) => {
    const plugin = available.length
      ? select('plugin', available.map((a) => [a, a]), ref.plugin, `${kind} plugin`)
      : h('input', { type: 'text', value: ref.plugin, placeholder: 'name@version', attrs: { 'aria-label': `${kind} plugin` } });
    const config = h('textarea', { rows: 3, value: JSON.stringify(ref.config || {}, null, 2), attrs: { 'aria-label': `${kind} plugin config (JSON)` } });
    const error = h('p', { class: 'error field-error', attrs: { 'aria-live': 'polite' } });
    const row = h('div', { class: 'card plugin' }, plugin, config, error,
      h('button', { type: 'button', text: 'Remove', attrs: { 'aria-label': `Remove ${kind} plugin` }, on: { click: () => { row.remove(); rows.splice(rows.indexOf(row), 1); } } }));
    row.read = () => { let c; try { c = JSON.parse(config.value || '{}'); } catch (e) { throw new Error(`${kind} plugin config: ${e.message}`); } return { plugin: plugin.value.trim(), config: c }; };
    row.error = error;
    rows.push(row);
    box.append(row);
  };
  (refs || []).forEach(add);
  const el = h('fieldset', {}, h('legend', { text: kind === 'filters' ? 'Filter plugins' : 'Transform plugins' }), box,
    h('button', { type: 'button', text: `Add ${world} plugin`, on: { click: () => add() } }));
  el.read = () => rows.map((r) => r.read());
  el.showError = (index, message) => { rows.forEach((r) => fill(r.error)); if (rows[index]) fill(rows[index].error, message); };
  return el;
}

async function formView(org, id) {
  const [catalogue, plugins, existing] = await Promise.all([
    api('GET', '/v1/event-types').then((p) => p.items).catch(() => []),
    api('GET', '/v1/plugins').then((p) => p.items).catch(() => []),
    id ? api('GET', `${orgPath(org)}/webhooks/${enc(id)}`) : null,
  ]);
  const w = existing || { name: '', url: 'https://', triggers: [], auth: { type: 'none' }, headers: {}, signature: 'standard', retry: null, timeout: '', plugins: { filters: [], transforms: [] }, description: '' };
  const messages = messageArea();
  const name = h('input', { type: 'text', name: 'name', value: w.name, required: true });
  const url = h('input', { type: 'text', name: 'url', value: w.url, required: true, attrs: { inputmode: 'url' } });
  const triggers = triggerPicker(catalogue, w.triggers);
  const auth = authEditor(w.auth || { type: 'none' });
  const headers = pairsEditor(w.headers, 'Header');
  const retry = h('input', { type: 'text', name: 'retry', value: w.retry ? w.retry.schedule.join(', ') : '', placeholder: '5s, 5m, 30m, 2h, 5h, 10h, 10h' });
  const timeout = h('input', { type: 'text', name: 'timeout', value: w.timeout || '', placeholder: '30s' });
  const rate = h('input', { type: 'number', name: 'rate_limit', value: w.rate_limit ? String(w.rate_limit.per_second) : '', attrs: { min: '1', max: '10000' } });
  const stopAfter = h('input', { type: 'number', name: 'consecutive_dead', value: w.auto_disable ? String(w.auto_disable.consecutive_dead) : '', attrs: { min: '0' } });
  const signature = select('signature', [['standard', 'Standard Webhooks (webhook-signature)'], ['hex', 'Hex HMAC-SHA256 (X-Webhook-Signature)'], ['ed25519', 'Standard Webhooks ed25519 (v1a, public key)']], w.signature, 'Signature scheme');
  const filters = pluginList('filters', plugins, w.plugins.filters);
  const transforms = pluginList('transforms', plugins, w.plugins.transforms);
  const description = h('textarea', { name: 'description', rows: 3, value: w.description || '' });
  const form = h('form', { class: 'webhook-form' },
    h('h1', { text: id ? `Edit ${w.name}` : 'New webhook' }),
    id ? null : h('p', { class: 'muted', text: 'New webhooks start inactive: turn them on from the list or the webhook\'s page.' }),
    messages,
    field('Name', name), field('URL', url, 'https:// address of the receiver'),
    h('fieldset', {}, h('legend', { text: 'Event types' }), triggers),
    h('fieldset', {}, h('legend', { text: 'Receiver authentication' }), auth),
    h('fieldset', {}, h('legend', { text: 'Custom headers' }), headers),
    field('Retry schedule', retry, 'Delays before each retry, comma-separated; empty: the default'),
    field('Timeout', timeout, 'Per attempt, like 30s; empty: the default'),
    field('Rate limit', rate, 'Requests per second at most, across all workers; empty: unlimited'),
    field('Turn off after', stopAfter, 'Deliveries in a row that end dead; empty: the org\'s rule (0: never)'),
    field('Signature scheme', signature),
    filters, transforms,
    field('Description', description),
    h('div', { class: 'actions' }, h('button', { type: 'submit', text: id ? 'Save changes' : 'Create webhook' }),
      h('a', { href: id ? `#/orgs/${enc(org)}/webhooks/${enc(id)}` : `#/orgs/${enc(org)}/webhooks`, text: 'Cancel' })));
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    messages.clear();
    filters.showError(-1); transforms.showError(-1);
    let body;
    try {
      body = {
        name: name.value, url: url.value.trim(), triggers: triggers.read(), headers: headers.read(), signature: signature.value,
        plugins: { filters: filters.read(), transforms: transforms.read() }, description: description.value,
      };
    } catch (e) { messages.error(e); return; }
    const a = auth.read();
    if (a !== undefined) body.auth = a;
    const schedule = retry.value.split(',').map((s) => s.trim()).filter(Boolean);
    if (schedule.length) body.retry = { schedule };
    if (timeout.value.trim()) body.timeout = timeout.value.trim();
    // Empty means none (or the org's rule): cleared with null on an edit.
    const perSecond = rate.value.trim();
    if (perSecond) body.rate_limit = { ...(w.rate_limit || {}), per_second: Number(perSecond) };
    else if (w.rate_limit) body.rate_limit = null;
    const dead = stopAfter.value.trim();
    if (dead) body.auto_disable = { ...(w.auto_disable || {}), consecutive_dead: Number(dead) };
    else if (w.auto_disable) body.auto_disable = null;
    try {
      const saved = id
        ? await api('PATCH', `${orgPath(org)}/webhooks/${enc(id)}`, body)
        : await api('POST', `${orgPath(org)}/webhooks`, body);
      if (!id) sessionStorage.setItem(`herald-new-secret-${saved.id}`, saved.secret);
      go(`#/orgs/${enc(org)}/webhooks/${enc(saved.id)}`);
    } catch (e) {
      messages.error(e);
      const m = String(e.message).match(/plugins\.(filters|transforms)\[(\d+)\]/);
      if (m) (m[1] === 'filters' ? filters : transforms).showError(Number(m[2]), e.message);
      form.querySelector('[role=alert]').scrollIntoView({ block: 'center' });
    }
  });
  return form;
}

route('#/orgs/:org/webhooks/new', ({ org }) => formView(org, null));
route('#/orgs/:org/webhooks/:id/edit', ({ org, id }) => formView(org, id));

// ---- detail ----

function secretPanel(org, w) {
  const messages = messageArea();
  const value = h('input', { type: 'password', readOnly: true, value: '••••••••••••', attrs: { 'aria-label': 'Signing secret' } });
  const previous = h('div');
  const fresh = sessionStorage.getItem(`herald-new-secret-${w.id}`);
  sessionStorage.removeItem(`herald-new-secret-${w.id}`);
  let revealed = false;
  const load = async () => {
    const s = await api('GET', `${orgPath(org)}/webhooks/${enc(w.id)}/secret`);
    value.value = s.secret;
    value.type = 'text';
    reveal.textContent = 'Hide';
    revealed = true;
    fill(previous, s.previous.map((p) => h('p', { class: 'muted', text: `Previous secret still signing until ${when(p.expires_at)}.` })));
  };
  const reveal = button('Reveal', async (b) => {
    if (revealed) { value.type = 'password'; b.textContent = 'Reveal'; revealed = false; return; }
    await load();
  }, messages, { attrs: { 'aria-label': 'Reveal secret' } });
  const copy = button('Copy', async () => {
    if (!revealed) await load();
    await navigator.clipboard.writeText(value.value).catch(() => { value.select(); document.execCommand('copy'); });
    messages.ok('Copied.');
  }, messages, { attrs: { 'aria-label': 'Copy secret' } });
  let armed = false;
  const rotate = button('Rotate…', async (b) => {
    if (!armed) { armed = true; b.textContent = 'Confirm rotation'; messages.ok('Rotating creates a new secret now. The old one keeps signing beside it for 24 hours (both signatures are sent), so your receiver can switch without missing a delivery.'); return; }
    const r = await api('POST', `${orgPath(org)}/webhooks/${enc(w.id)}/rotate-secret`);
    armed = false;
    b.textContent = 'Rotate…';
    value.value = r.secret; value.type = 'text'; revealed = true; reveal.textContent = 'Hide';
    messages.ok(`Rotated. The previous secret keeps signing until ${when(r.previous_expires_at)}.`);
  }, messages, { attrs: { 'aria-label': 'Rotate secret' }, disabled: !canWrite() });
  if (fresh) { value.value = fresh; value.type = 'text'; revealed = true; reveal.textContent = 'Hide'; }
  return h('section', { class: 'card' }, h('h2', { text: 'Signing secret' }),
    fresh ? h('p', { class: 'ok', text: 'Webhook created. Here is its signing secret.' }) : null,
    h('div', { class: 'row' }, value, canWrite() ? reveal : null, canWrite() ? copy : null, rotate),
    w.public_key ? h('div', { class: 'row' }, h('p', { text: 'Public key (receivers verify v1a signatures with it):' }),
      h('input', { type: 'text', readOnly: true, value: w.public_key, attrs: { 'aria-label': 'Public key' } })) : null,
    previous, messages);
}

function testPanel(org, w) {
  const messages = messageArea();
  const out = h('div', { attrs: { 'aria-live': 'polite' } });
  const types = w.triggers.map((t) => [t.event, t.event]);
  const type = select('type', types, types[0] && types[0][0], 'Test event type');
  const applyFilters = h('input', { type: 'checkbox', name: 'apply_filters' });
  const send = button('Send test event', async () => {
    fill(out, h('p', { class: 'muted', text: 'Sending…' }));
    const r = await api('POST', `${orgPath(org)}/webhooks/${enc(w.id)}/test`, { type: type.value, apply_filters: applyFilters.checked });
    fill(out, h('div', { class: 'test-result' },
      h('p', {}, 'Result: ', badge(r.result === 'delivered' ? 'succeeded' : r.result === 'filtered' ? 'filtered' : 'dead', r.result),
        r.attempt && r.attempt.status_code ? ` — HTTP ${r.attempt.status_code}` : '', r.attempt ? ` in ${r.attempt.duration_ms.toFixed(0)} ms` : ''),
      h('p', { class: 'muted', text: r.filters_applied ? 'Trigger filters and filter plugins ran.' : 'Filters skipped (transforms ran).' }),
      r.filtered_reason ? h('p', { class: 'notice', text: `Dropped: ${r.filtered_reason}` }) : null,
      r.attempt ? attemptView(r.attempt) : null));
  }, messages, { disabled: !canWrite() });
  return h('section', { class: 'card' }, h('h2', { text: 'Test' }),
    h('p', { class: 'muted', text: 'Sends the event type\'s example payload now, even while the webhook is off.' }),
    h('div', { class: 'row' }, types.length > 1 ? type : null, send),
    h('label', { class: 'check' }, applyFilters, 'Apply trigger filters and filter plugins'), messages, out);
}

function statsPanel(stats) {
  const card = (title, s) => h('div', { class: 'stat' }, h('h3', { text: title }),
    h('dl', {},
      h('dt', { text: 'Delivered' }), h('dd', { text: s.succeeded }),
      h('dt', { text: 'Failed' }), h('dd', { text: s.dead }),
      h('dt', { text: 'Filtered' }), h('dd', { text: s.filtered }),
      h('dt', { text: 'Success rate' }), h('dd', { text: s.success_rate === null ? '—' : `${(s.success_rate * 100).toFixed(1)}%` }),
      h('dt', { text: 'Mean latency' }), h('dd', { text: s.mean_latency_ms === null ? '—' : `${s.mean_latency_ms} ms` })));
  return h('section', { class: 'card' }, h('h2', { text: 'Stats' }),
    h('div', { class: 'stats' }, card('Last 24 hours', stats['24h']), card('Last 7 days', stats['7d'])), chart(stats.hourly));
}

/** A bar chart of the last 24 hours (delivered over failed), in SVG. */
function chart(hours) {
  const ns = 'http://www.w3.org/2000/svg';
  const svg = document.createElementNS(ns, 'svg');
  const max = Math.max(1, ...hours.map((x) => x.succeeded + x.dead + x.failed_attempts));
  const W = 24 * 12, H = 60;
  svg.setAttribute('viewBox', `0 0 ${W} ${H + 12}`);
  svg.setAttribute('class', 'chart');
  svg.setAttribute('role', 'img');
  const total = hours.reduce((n, x) => n + x.succeeded, 0);
  const failed = hours.reduce((n, x) => n + x.dead + x.failed_attempts, 0);
  svg.setAttribute('aria-label', `Last 24 hours: ${total} delivered, ${failed} failed attempts or dead deliveries`);
  hours.forEach((x, i) => {
    const ok = (x.succeeded / max) * H, bad = ((x.dead + x.failed_attempts) / max) * H;
    for (const [hgt, y, cls] of [[ok, H - ok, 'ok'], [bad, H - ok - bad, 'bad']]) {
      if (hgt <= 0) continue;
      const r = document.createElementNS(ns, 'rect');
      r.setAttribute('x', i * 12 + 1); r.setAttribute('y', y); r.setAttribute('width', 10); r.setAttribute('height', hgt); r.setAttribute('class', cls);
      const title = document.createElementNS(ns, 'title');
      title.textContent = `${when(x.hour)}: ${x.succeeded} delivered, ${x.dead} dead, ${x.failed_attempts} failed attempts`;
      r.append(title);
      svg.append(r);
    }
  });
  return h('figure', {}, svg, h('figcaption', { class: 'muted', text: 'Deliveries per hour, last 24 hours (green: delivered, red: failed)' }));
}

function replayPanel(org, w, onDone) {
  const messages = messageArea();
  const since = h('input', { type: 'datetime-local', name: 'since', value: new Date(Date.now() - 24 * 3600e3 - new Date().getTimezoneOffset() * 60e3).toISOString().slice(0, 16) });
  const status = select('status', [['failed', 'Failed (retry scheduled)'], ['dead', 'Dead']], 'dead', 'Which deliveries');
  const run = button('Replay', async () => {
    const r = await api('POST', `${orgPath(org)}/webhooks/${enc(w.id)}/replay`, { since: new Date(since.value).toISOString(), status: status.value });
    messages.ok(`${r.queued} deliveries queued again.`);
    onDone();
  }, messages, { disabled: !canWrite() });
  return h('section', { class: 'card' }, h('h2', { text: 'Replay' }),
    h('div', { class: 'row' }, field('Created since', since), field('Status', status), run), messages);
}

route('#/orgs/:org/webhooks/:id', async ({ org, id }) => {
  const base = `${orgPath(org)}/webhooks/${enc(id)}`;
  const [w, stats] = await Promise.all([api('GET', base), api('GET', `${base}/stats`).catch(() => null)]);
  const messages = messageArea();
  const log = logView(org, w, { live: true, title: 'Delivery log' });
  const dead = logView(org, w, { status: 'dead', title: 'Dead letters' });
  const statsBox = h('div', {}, stats ? statsPanel(stats) : null);
  const refreshStats = async () => { const s = await api('GET', `${base}/stats`).catch(() => null); if (s) fill(statsBox, statsPanel(s)); };
  const timer = setInterval(() => refreshStats(), 10000);
  cleanups.push(() => clearInterval(timer));
  const del = button('Delete…', async (b) => {
    if (b.textContent !== 'Confirm delete') { b.textContent = 'Confirm delete'; messages.ok('Deleting removes the webhook and its logs. Press again to confirm.'); return; }
    await api('DELETE', base);
    go(`#/orgs/${enc(org)}/webhooks`);
  }, messages, { disabled: !canWrite() });
  return h('section', {},
    h('p', { class: 'crumbs' }, h('a', { href: `#/orgs/${enc(org)}/webhooks`, text: '← Webhooks' })),
    h('div', { class: 'title-row' }, h('h1', { text: w.name }), toggle(org, w, messages),
      canWrite() ? h('a', { class: 'button', href: `#/orgs/${enc(org)}/webhooks/${enc(id)}/edit`, text: 'Edit' }) : null, canWrite() ? del : null),
    session.current.operator ? orgTabs(org, 'webhooks') : null,
    messages,
    h('p', {}, h('span', { class: 'url', text: w.url }), ' · ', w.triggers.map((t) => h('span', { class: 'tag', text: t.event }))),
    w.disabled_reason ? h('p', { class: 'notice', text: `Disabled: ${w.disabled_reason}` }) : null,
    w.description ? h('p', { class: 'muted', text: w.description }) : null,
    h('div', { class: 'grid' }, secretPanel(org, w), testPanel(org, w)),
    statsBox,
    log,
    replayPanel(org, w, () => { log.refresh(); dead.refresh(); }),
    dead);
});

