// Herald dashboard: the core (app.js loads it with the screens). DOM building (text only, never HTML from
// data: every payload, header and body shown is attacker-controlled), the
// API client (cookie session + CSRF token), the router and shared widgets.
// The screens live in views.js (lists, operator pages) and webhook.js (a
// webhook's form and detail page).

/** The signed-in session: {operator, org, permissions, read_only, portal, csrf, expires_at}. */
export const session = { current: null };

/** Builds an element. `props`: class, text, attrs (set as attributes), on (listeners), and
 * plain properties (value, checked, disabled, type...). Children: nodes, strings (as text), arrays. */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(props || {})) {
    if (v === undefined || v === null || v === false) continue;
    if (k === 'class') el.className = v;
    else if (k === 'text') el.textContent = String(v);
    else if (k === 'attrs') for (const [a, av] of Object.entries(v)) { if (av !== undefined && av !== null && av !== false) el.setAttribute(a, String(av)); }
    else if (k === 'on') for (const [ev, fn] of Object.entries(v)) el.addEventListener(ev, fn);
    else el[k] = v;
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === undefined || c === null || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

/** An error from the API, with the server's message. */
export class ApiError extends Error {
  constructor(status, code, message) {
    super(message);
    this.status = status;
    this.code = code;
  }
}

/** Calls the API. `body`: an object (sent as JSON), or a Blob/ArrayBuffer (sent as is). */
export async function api(method, path, body) {
  const headers = {};
  if (method !== 'GET' && session.current) headers['x-csrf-token'] = session.current.csrf;
  let payload;
  if (body instanceof Blob || body instanceof ArrayBuffer) {
    payload = body;
    headers['content-type'] = 'application/octet-stream';
  } else if (body !== undefined) {
    payload = JSON.stringify(body);
    headers['content-type'] = 'application/json';
  }
  const response = await fetch(path, { method, headers, body: payload, credentials: 'same-origin' });
  if (response.status === 204) return null;
  const text = await response.text();
  let data = null;
  try { data = text ? JSON.parse(text) : null; } catch { data = text; }
  if (!response.ok) {
    const err = data && data.error ? data.error : { code: 'http_' + response.status, message: String(text || response.statusText) };
    if (response.status === 401 && !path.startsWith('/ui/session')) {
      session.current = null;
      go('#/sign-in');
    }
    throw new ApiError(response.status, err.code, err.message);
  }
  return data;
}

/** `encodeURIComponent`, for path segments. */
export const enc = encodeURIComponent;

/** The org path prefix of the API. */
export const orgPath = (org) => `/v1/orgs/${enc(org)}`;

/** Whether the session may change things in its org. */
export function canWrite() {
  const s = session.current;
  if (!s) return false;
  if (s.operator) return true;
  return !s.read_only && s.permissions.includes('webhooks:write');
}

/** Local date and time of an RFC 3339 text. */
export function when(text) {
  if (!text) return '—';
  const d = new Date(text);
  if (Number.isNaN(d.getTime())) return String(text);
  return d.toLocaleString(undefined, { year: 'numeric', month: 'short', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' });
}

/** A status badge (succeeded, failed, dead, filtered, pending, active...). */
export function badge(status, label) {
  return h('span', { class: `badge badge-${String(status).replace(/[^a-z_-]/gi, '')}`, text: label || status });
}

/** Pretty JSON in a <pre>, as text. */
export function pre(value, label) {
  const text = typeof value === 'string' ? value : JSON.stringify(value, null, 2);
  return h('pre', { class: 'code', text, attrs: { tabindex: 0, 'aria-label': label || 'JSON' } });
}

/** A message area for errors (role=alert) or notices. */
export function messageArea() {
  const el = h('div', { class: 'message', attrs: { role: 'alert', 'aria-live': 'assertive' } });
  el.error = (e) => fill(el, h('p', { class: 'error', text: e instanceof Error ? e.message : String(e) }));
  el.ok = (text) => fill(el, h('p', { class: 'ok', text }));
  el.clear = () => fill(el);
  return el;
}

/** A labelled form field: a label wrapping its text and the control. */
export function field(label, control, hint) {
  const id = control.id || (control.id = 'f' + Math.random().toString(36).slice(2, 10));
  return h('div', { class: 'field' },
    h('label', { attrs: { for: id }, text: label }),
    control,
    hint ? h('small', { class: 'hint', text: hint }) : null);
}

/** A table from headers and rows of cells (nodes or text). */
export function table(caption, headers, rows, props = {}) {
  return h('table', props,
    caption ? h('caption', { text: caption }) : null,
    h('thead', {}, h('tr', {}, headers.map((t) => h('th', { attrs: { scope: 'col' }, text: t })))),
    h('tbody', {}, rows.map((cells) => h('tr', {}, cells.map((c) => h('td', {}, c))))));
}

/** A button that runs `action`, disabled while it runs; errors go to `messages`. */
export function button(label, action, messages, props = {}) {
  const b = h('button', { type: 'button', text: label, ...props });
  b.addEventListener('click', async () => {
    b.disabled = true;
    if (messages) messages.clear();
    try { await action(b); } catch (e) { if (messages) messages.error(e); else banner(e.message, true); } finally { b.disabled = false; }
  });
  return b;
}

/** Shows a short notice at the top. */
export function banner(text, isError) {
  const el = document.getElementById('banner');
  fill(el, text ? h('p', { class: isError ? 'error' : 'ok', text }) : null);
}

// ---- routing ----

const routes = [];
/** Registers a screen: `pattern` like '#/orgs/:org/webhooks'. */
export function route(pattern, render) {
  const names = [];
  const re = new RegExp('^' + pattern.replace(/:[a-z]+/g, (m) => { names.push(m.slice(1)); return '([^/]+)'; }) + '$');
  routes.push({ re, names, render });
}

/** Navigates to a hash route. */
export function go(hash) {
  if (location.hash === hash) render();
  else location.hash = hash;
}

let renderToken = 0;
/** Stops timers of the previous screen (polling). */
export const cleanups = [];

async function render() {
  const token = ++renderToken;
  while (cleanups.length) { try { cleanups.pop()(); } catch { /* ignore */ } }
  const main = document.getElementById('main');
  const hash = location.hash || '#/';
  if (!session.current && hash !== '#/sign-in') { go('#/sign-in'); return; }
  if (hash === '#/' && session.current) { go(home()); return; }
  for (const r of routes) {
    const m = hash.match(r.re);
    if (!m) continue;
    const params = Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])]));
    fill(main, h('p', { class: 'muted', text: 'Loading…' }));
    try {
      const view = await r.render(params);
      if (token !== renderToken) return;
      fill(main, view);
    } catch (e) {
      if (token !== renderToken) return;
      fill(main, h('h1', { text: 'Something went wrong' }), h('p', { class: 'error', attrs: { role: 'alert' }, text: e.message }));
    }
    const heading = main.querySelector('h1');
    if (heading) { heading.tabIndex = -1; heading.focus({ preventScroll: true }); }
    drawChrome();
    return;
  }
  fill(main, h('h1', { text: 'Not found' }), h('p', {}, h('a', { href: home(), text: 'Go to the start page' })));
}

/** Where a session starts. */
export function home() {
  const s = session.current;
  if (!s) return '#/sign-in';
  return s.operator ? '#/orgs' : `#/orgs/${enc(s.org)}/webhooks`;
}

function drawChrome() {
  const s = session.current;
  const nav = document.getElementById('nav');
  const who = document.getElementById('who');
  if (!s) { fill(nav); fill(who); return; }
  const links = s.operator
    ? [['#/orgs', 'Orgs'], ['#/event-types', 'Event types'], ['#/plugins', 'Plugins'], ['#/health', 'Health']]
    : [[`#/orgs/${enc(s.org)}/webhooks`, 'Webhooks']];
  if (!s.operator && !s.portal && s.permissions.includes('keys:write')) links.push([`#/orgs/${enc(s.org)}/keys`, 'API keys']);
  fill(nav, links.map(([href, text]) => h('a', { href, text, attrs: { 'aria-current': location.hash.startsWith(href) ? 'page' : null } })));
  const label = s.operator ? 'Operator' : `${s.org_name || s.org}${s.read_only ? ' (read-only)' : ''}`;
  fill(who, h('span', { text: label }), button('Sign out', async () => {
    await api('DELETE', '/ui/session');
    session.current = null;
    go('#/sign-in');
  }));
}

/** Opens the session (or a portal link) and shows the first screen. */
export async function start() {
  const fragment = new URLSearchParams(location.hash.slice(1));
  if (location.pathname.endsWith('/portal') && fragment.get('code')) {
    // A one-time portal link: exchange its code for a session, then forget it.
    const code = fragment.get('code');
    history.replaceState(null, '', '/ui/portal');
    try {
      session.current = await api('POST', '/ui/session/portal', { code });
    } catch (e) {
      fill(document.getElementById('main'), h('h1', { text: 'This link cannot be used' }), h('p', { class: 'error', attrs: { role: 'alert' }, text: e.message }));
      return;
    }
    history.replaceState(null, '', '/ui/' + home());
  } else {
    try { session.current = await api('GET', '/ui/session'); } catch { session.current = null; }
  }
  if (session.current && !session.current.operator) {
    session.current.org_name = await api('GET', orgPath(session.current.org)).then((o) => o.name).catch(() => null);
  }
  window.addEventListener('hashchange', render);
  await render();
}

