// The dashboard in a real browser: Debian's Chromium driven by
// playwright-core, against a real Herald, Redis and HTTPS receiver that the
// Rust test `dashboard::in_a_real_browser` starts and names in the
// environment:
//   HERALD_URL, HERALD_ADMIN_TOKEN, RECEIVER_BASE (https://localhost:port;
//   /ok answers 200, /flaky fails a delivery's first attempt, /fail always
//   fails; every answer carries markup in a header and the body),
//   SCREENSHOTS (a directory), BROWSER_TOOLS (where playwright-core is),
//   PLUGIN_WASM (the threshold-filter component).
// Every step clicks or types as a user would; the API is used only to seed
// data, publish events and check what the server holds.
import { createRequire } from 'node:module';
import { mkdirSync } from 'node:fs';
import path from 'node:path';
import { PATIENCE_MS, check, until, noScriptRan as noScriptIn, everyControlNamed } from './support.mjs';

const require = createRequire(path.join(process.env.BROWSER_TOOLS, 'package.json'));
const { chromium } = require('playwright-core');

const base = process.env.HERALD_URL;
const admin = process.env.HERALD_ADMIN_TOKEN;
const receiver = process.env.RECEIVER_BASE;
const shots = process.env.SCREENSHOTS;
mkdirSync(shots, { recursive: true });

// Markup that would run if any of it reached the page as HTML.
const XSS = '<script>window.pwned=1</script>"><img src=x onerror="window.pwned=2">';
async function apiCall(method, p, body, token = admin) {
  const r = await fetch(base + p, {
    method,
    headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  const text = await r.text();
  const data = text ? JSON.parse(text) : null;
  if (!r.ok) throw new Error(`${method} ${p}: ${r.status} ${text}`);
  return data;
}

const noScriptRan = (page) => noScriptIn(page, dialogs);
const steps = [];
function step(name, fn) { steps.push([name, fn]); }

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const dialogs = [];
async function newPage() {
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  page.setDefaultTimeout(PATIENCE_MS);
  page.on('dialog', async (d) => { dialogs.push(d.message()); await d.dismiss(); });
  page.on('pageerror', (e) => console.log(`  page error: ${e.message}`));
  return { context, page };
}

// ---- seed ----
const orgA = await apiCall('POST', '/v1/orgs', { name: `Acme ${XSS}` });
const orgB = await apiCall('POST', '/v1/orgs', { name: 'Globex' });
await apiCall('PUT', '/v1/event-types/order.created', {
  description: 'An order was placed.', example: { order: { id: 'ord_1', status: 'paid', total: 42 } }, filterable: ['data.order.status'],
});
await apiCall('PUT', '/v1/event-types/order.refunded', { description: 'An order was refunded.', example: { order: { id: 'ord_1' } } });
await apiCall('PUT', '/v1/event-types/invoice.sent', { description: `An invoice went out ${XSS}`, example: { invoice: { id: 'inv_1' } } });
const bWebhook = await apiCall('POST', `/v1/orgs/${orgB.id}/webhooks`, { name: 'B hook', url: `${receiver}/ok`, triggers: [{ event: 'order.created' }] });

const { page } = await newPage();
const hookName = `Orders ${XSS}`;
let hookId;
let firstSecret;

step('the page carries a strict CSP and no inline script', async () => {
  const r = await fetch(`${base}/ui/`);
  const csp = r.headers.get('content-security-policy') || '';
  check(csp.includes("script-src 'self'") && !csp.includes('unsafe-inline'), `CSP: ${csp}`);
  check(csp.includes("frame-ancestors 'none'"), `CSP frame-ancestors: ${csp}`);
  check(!/<script(?![^>]*\bsrc=)/.test(await r.text()), 'an inline <script> in the page');
});

step('sign in as the operator from the form', async () => {
  await page.goto(`${base}/ui/`);
  await page.getByLabel('API key').fill('wrong-key-that-is-long-enough');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('alert').filter({ hasText: 'unknown or revoked key' }).waitFor();
  await page.getByLabel('API key').fill(admin);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Orgs' }).waitFor();
  const cookie = (await page.context().cookies()).find((c) => c.name === 'herald_session');
  check(cookie && cookie.httpOnly && cookie.secure && cookie.sameSite === 'Lax', `session cookie attributes: ${JSON.stringify(cookie)}`);
  await page.getByRole('link', { name: `Acme ${XSS}` }).waitFor();
  await noScriptRan(page);
});

step('create a webhook from the form: https enforced, inactive when created', async () => {
  await page.getByRole('link', { name: `Acme ${XSS}` }).click();
  await page.getByRole('link', { name: 'New webhook' }).click();
  await page.getByRole('heading', { name: 'New webhook' }).waitFor();
  await everyControlNamed(page, 'webhook form');
  await page.getByLabel('Name', { exact: true }).fill(hookName);
  await page.getByLabel('URL', { exact: true }).fill(`${receiver.replace('https:', 'http:')}/flaky`);
  await page.getByLabel('Event type order.created').check();
  await page.getByRole('button', { name: 'Add filter on order.created' }).click();
  await page.getByLabel('Filter comparison').selectOption('in');
  await page.getByLabel('Filter value').fill('paid, shipped');
  await page.getByLabel('Retry schedule').fill('1h');
  await page.getByLabel('Rate limit').fill('50');
  await page.getByLabel('Turn off after').fill('50');
  await page.getByLabel('Description').fill(`Sends orders ${XSS}`);
  await page.screenshot({ path: path.join(shots, 'webhook-form.png'), fullPage: true });
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.getByRole('alert').filter({ hasText: 'https' }).waitFor();
  await page.getByLabel('URL', { exact: true }).fill(`${receiver}/flaky`);
  await page.getByRole('button', { name: 'Create webhook' }).click();
  await page.getByText('Webhook created. Here is its signing secret.').waitFor();
  hookId = page.url().split('/').pop();
  firstSecret = await page.getByLabel('Signing secret').inputValue();
  check(firstSecret.startsWith('whsec_'), `secret shown after creation: ${firstSecret}`);
  check(await page.getByRole('heading', { level: 1 }).textContent() === hookName, 'the name is shown as text');
  const stored = await apiCall('GET', `/v1/orgs/${orgA.id}/webhooks/${hookId}`);
  check(stored.active === false, 'a new webhook is inactive');
  check(stored.rate_limit.per_second === 50 && stored.auto_disable.consecutive_dead === 50, `limits: ${JSON.stringify([stored.rate_limit, stored.auto_disable])}`);
  check(JSON.stringify(stored.triggers) === JSON.stringify([{ event: 'order.created', filters: [{ path: 'data.order.status', op: 'in', value: ['paid', 'shipped'] }] }]), `triggers: ${JSON.stringify(stored.triggers)}`);
  await noScriptRan(page);
});

step('toggle it on from the list, nothing more asked', async () => {
  await page.getByRole('link', { name: '← Webhooks' }).click();
  const toggle = page.getByRole('switch', { name: `Active: ${hookName}` });
  check(!(await toggle.isChecked()), 'the list shows it off');
  await toggle.click();
  await until('the webhook to be active', async () => (await apiCall('GET', `/v1/orgs/${orgA.id}/webhooks/${hookId}`)).active);
  check(await toggle.isChecked(), 'the switch stays on');
  await page.screenshot({ path: path.join(shots, 'webhooks.png'), fullPage: true });
});

step('send a test event and see the response inline', async () => {
  await page.getByRole('link', { name: hookName }).click();
  await page.getByRole('button', { name: 'Send test event' }).click();
  const result = page.locator('.test-result');
  await result.getByText('Result:').waitFor();
  // The receiver fails a delivery's first attempt on /flaky: a test send is its own delivery.
  await result.getByText('HTTP 500').first().waitFor();
  await result.getByText('x-evil').first().waitFor();
  await result.getByText('<img src=x onerror=').first().waitFor();
  await noScriptRan(page);
});

step('events published through the API appear in the log without a reload', async () => {
  await page.evaluate(() => { window.stillTheSamePage = true; });
  for (let i = 0; i < 3; i++) {
    await apiCall('POST', `/v1/orgs/${orgA.id}/events`, { type: 'order.created', data: { order: { id: `ord_${i}`, status: 'paid', note: XSS } } });
  }
  const log = page.getByRole('table', { name: 'Delivery log' });
  await until('three deliveries in the log', async () => (await log.locator('tbody tr[data-id]').count()) >= 3);
  await until('a failed first attempt to show', async () => (await log.getByText('failed', { exact: true }).count()) >= 3);
  check(await page.evaluate(() => window.stillTheSamePage === true), 'the page was reloaded');
  await noScriptRan(page);
});

step('retry a failed delivery; expand it and read every attempt', async () => {
  const log = page.getByRole('table', { name: 'Delivery log' });
  const row = log.locator('tbody tr[data-id]').first();
  const id = await row.getAttribute('data-id');
  await log.getByRole('button', { name: `Retry ${id}` }).click();
  await until('the retried delivery to succeed', async () => (await row.getByText('succeeded', { exact: true }).count()) === 1);
  await log.getByRole('button', { name: `Details of ${id}` }).click();
  const detail = log.locator('tr.detail').first();
  await detail.getByText('Attempt 2').waitFor();
  await detail.getByText('Payload as sent').waitFor();
  check((await detail.textContent()).includes('window.pwned=1'), 'the payload shows the markup as text');
  check(await detail.getByRole('table', { name: 'Response headers' }).first().getByText('x-evil').count() > 0, 'response headers shown');
  check((await detail.textContent()).includes('answer from /flaky'), 'response body shown');
  const masked = await detail.getByRole('table', { name: 'Request headers' }).first().textContent();
  check(masked.includes('webhook-signature'), 'request headers shown');
  await page.screenshot({ path: path.join(shots, 'delivery-log.png'), fullPage: true });
  await noScriptRan(page);
});

step('replay the dead deliveries from the dead-letter list', async () => {
  const dead = await apiCall('POST', `/v1/orgs/${orgA.id}/webhooks`, { name: 'Always failing', url: `${receiver}/fail`, active: true, triggers: [{ event: 'invoice.sent' }], retry: { schedule: [] } });
  for (let i = 0; i < 2; i++) await apiCall('POST', `/v1/orgs/${orgA.id}/events`, { type: 'invoice.sent', data: { invoice: { id: `inv_${i}` } } });
  await until('two dead deliveries', async () => (await apiCall('GET', `/v1/orgs/${orgA.id}/webhooks/${dead.id}/deliveries?status=dead`)).items.length === 2);
  await page.goto(`${base}/ui/#/orgs/${orgA.id}/webhooks/${dead.webhook ? dead.webhook.id : dead.id}`);
  const letters = page.getByRole('table', { name: 'Dead letters' });
  await until('the dead letters to list both', async () => (await letters.locator('tbody tr[data-id]').count()) === 2);
  await page.getByLabel('Which deliveries').selectOption('dead');
  await page.getByRole('button', { name: 'Replay' }).click();
  await page.getByText('2 deliveries queued again.').waitFor();
  await until('both to be attempted again', async () => (await apiCall('GET', `/v1/orgs/${orgA.id}/webhooks/${dead.id}/deliveries?status=dead`)).items.every((d) => d.attempts === 2));
});

step('upload plugins: a real component is accepted, anything else refused with the reason', async () => {
  await page.goto(`${base}/ui/#/plugins`);
  await page.getByRole('heading', { name: 'Plugins' }).waitFor();
  await page.getByLabel('Name', { exact: true }).fill('threshold-filter');
  await page.getByLabel('Version', { exact: true }).fill('1.0.0');
  await page.getByLabel('Component (.wasm)').setInputFiles(process.env.PLUGIN_WASM);
  await page.getByRole('button', { name: 'Upload and check' }).click();
  await page.getByText('Accepted: threshold-filter@1.0.0, a filter-plugin.').waitFor();
  await page.getByLabel('Name', { exact: true }).fill('not-a-plugin');
  await page.getByLabel('Version', { exact: true }).fill('1.0.0');
  await page.getByLabel('Component (.wasm)').setInputFiles({ name: 'bogus.wasm', mimeType: 'application/wasm', buffer: Buffer.from('not wasm at all') });
  await page.getByRole('button', { name: 'Upload and check' }).click();
  await page.getByText('not a usable Herald plugin').waitFor();
  await page.goto(`${base}/ui/#/plugins`);
  await page.getByRole('cell', { name: 'threshold-filter@1.0.0', exact: true }).waitFor();
  await everyControlNamed(page, 'plugins');
});

step("a plugin's config is checked by the plugin itself, its message shown inline", async () => {
  await page.goto(`${base}/ui/#/orgs/${orgA.id}/webhooks/${hookId}/edit`);
  await page.getByRole('heading', { name: `Edit ${hookName}` }).waitFor();
  await page.getByRole('button', { name: 'Add filter plugin' }).click();
  await page.getByLabel('filters plugin config (JSON)').fill('{"path": "data.order.total"}');
  await page.getByRole('button', { name: 'Save changes' }).click();
  const inline = page.locator('.plugin .field-error');
  await until('the inline config error', async () => (await inline.textContent()).includes('rejected by threshold-filter@1.0.0'));
  await page.getByLabel('filters plugin config (JSON)').fill('{"path": "data.order.total", "above": 10}');
  await page.getByRole('button', { name: 'Save changes' }).click();
  // Exact: the edit page's own heading ("Edit …") holds the name too.
  await page.getByRole('heading', { name: hookName, exact: true }).waitFor();
  const stored = await apiCall('GET', `/v1/orgs/${orgA.id}/webhooks/${hookId}`);
  check(stored.plugins.filters.length === 1 && stored.plugins.filters[0].config.above === 10, `plugins: ${JSON.stringify(stored.plugins)}`);
  // Back to no plugin, so later events are not filtered.
  await apiCall('PATCH', `/v1/orgs/${orgA.id}/webhooks/${hookId}`, { plugins: { filters: [], transforms: [] } });
});

step('filter the log by status', async () => {
  await page.goto(`${base}/ui/#/orgs/${orgA.id}/webhooks/${hookId}`);
  const log = page.getByRole('table', { name: 'Delivery log' });
  await until('the log to load', async () => (await log.locator('tbody tr[data-id]').count()) >= 3);
  await page.getByLabel('Filter by status').selectOption('succeeded');
  await page.getByRole('button', { name: 'Apply filters' }).click();
  await until('only succeeded deliveries', async () => {
    const statuses = await log.locator('tbody tr[data-id] td:nth-child(6) .badge').allTextContents();
    return statuses.length >= 1 && statuses.every((t) => t === 'succeeded');
  });
});

step('health and throughput at a glance', async () => {
  await page.goto(`${base}/ui/#/health`);
  await page.getByRole('heading', { name: 'Health and throughput' }).waitFor();
  await page.getByText('ready', { exact: true }).waitFor();
  await page.getByRole('cell', { name: 'Deliveries succeeded' }).waitFor();
});

step('reveal, copy and rotate the secret', async () => {
  await page.goto(`${base}/ui/#/orgs/${orgA.id}/webhooks/${hookId}`);
  await page.getByRole('button', { name: 'Reveal secret' }).click();
  await until('the secret to show', async () => (await page.getByLabel('Signing secret').inputValue()) === firstSecret);
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByText('keeps signing beside it for 24 hours').waitFor();
  await page.getByRole('button', { name: 'Rotate secret' }).click();
  await page.getByText('Rotated. The previous secret keeps signing until').waitFor();
  const now = await apiCall('GET', `/v1/orgs/${orgA.id}/webhooks/${hookId}/secret`);
  check(now.secret !== firstSecret && now.previous.length === 1 && now.previous[0].secret === firstSecret, 'rotated with the old secret in grace');
  check(await page.getByLabel('Signing secret').inputValue() === now.secret, 'the page shows the new secret');
  await page.screenshot({ path: path.join(shots, 'webhook-detail.png'), fullPage: true });
});

step('a portal link opens org A only, once, and refuses changes without the CSRF token', async () => {
  const link = await apiCall('POST', `/v1/orgs/${orgA.id}/portal-sessions`, { expires_in: '1h' });
  check(link.url.startsWith(base) && link.url.includes('/ui/portal#code='), `link: ${link.url}`);
  const { context, page: portal } = await newPage();
  await portal.goto(link.url);
  await portal.getByRole('heading', { name: 'Webhooks' }).waitFor();
  await portal.getByRole('link', { name: hookName }).waitFor();
  check(!portal.url().includes('code='), 'the code left the address bar');
  const status = (p) => portal.evaluate(async (u) => (await fetch(u)).status, p);
  check(await status(`/v1/orgs/${orgB.id}/webhooks`) === 404, 'org B is out of reach');
  check(await status(`/v1/orgs/${orgB.id}/webhooks/${bWebhook.id}`) === 404, "org B's webhook is out of reach");
  check(await status('/v1/orgs') === 403, 'operator routes are refused');
  check(await status(`/v1/orgs/${orgA.id}/api-keys`) === 403, "the org's keys are refused");
  await portal.goto(`${base}/ui/#/orgs/${orgB.id}/webhooks`);
  await portal.getByText('org not found').waitFor();
  const noCsrf = await portal.evaluate(async (u) => (await fetch(u, { method: 'PATCH', headers: { 'content-type': 'application/json' }, body: '{"active":false}' })).status, `/v1/orgs/${orgA.id}/webhooks/${hookId}`);
  check(noCsrf === 403, `a change without the CSRF token: ${noCsrf}`);
  await portal.goto(`${base}/ui/#/orgs/${orgA.id}/webhooks`);
  await portal.getByRole('link', { name: hookName }).waitFor();
  await portal.screenshot({ path: path.join(shots, 'portal.png'), fullPage: true });
  await context.close();
  const again = await newPage();
  await again.page.goto(link.url);
  await again.page.getByText('already used or has expired').waitFor();
  await again.context.close();
});

step('a read-only portal session cannot change anything (the server refuses)', async () => {
  const link = await apiCall('POST', `/v1/orgs/${orgA.id}/portal-sessions`, { read_only: true });
  const { context, page: portal } = await newPage();
  await portal.goto(link.url);
  await portal.getByText('This session is read-only.').waitFor();
  check(await portal.getByRole('switch', { name: `Active: ${hookName}` }).isDisabled(), 'the switch is disabled');
  check(await portal.getByRole('link', { name: 'New webhook' }).count() === 0, 'no New webhook link');
  const result = await portal.evaluate(async (u) => {
    const s = await (await fetch('/ui/session')).json();
    const r = await fetch(u, { method: 'PATCH', headers: { 'content-type': 'application/json', 'x-csrf-token': s.csrf }, body: '{"active":false}' });
    return [r.status, (await r.json()).error.message];
  }, `/v1/orgs/${orgA.id}/webhooks/${hookId}`);
  check(result[0] === 403 && result[1].includes('read-only'), `read-only change: ${result}`);
  check((await apiCall('GET', `/v1/orgs/${orgA.id}/webhooks/${hookId}`)).active, 'still active');
  await context.close();
});

step('keyboard only: create a webhook and turn it on', async () => {
  const { context, page: kb } = await newPage();
  await kb.goto(`${base}/ui/`);
  await kb.getByLabel('API key').waitFor();
  const focused = () => kb.evaluate(() => { const a = document.activeElement; return a ? (a.getAttribute('aria-label') || (a.labels && a.labels[0] ? a.labels[0].textContent : '') || a.textContent || '').trim() : ''; });
  async function tabTo(name) {
    for (let i = 0; i < 80; i++) {
      await kb.keyboard.press('Tab');
      if ((await focused()) === name) return;
    }
    throw new Error(`Tab never reached ${name}`);
  }
  await tabTo('API key');
  await kb.keyboard.type(admin);
  await kb.keyboard.press('Enter');
  await kb.getByRole('heading', { name: 'Orgs' }).waitFor();
  await tabTo(`Acme ${XSS}`);
  await kb.keyboard.press('Enter');
  await kb.getByRole('heading', { name: 'Webhooks' }).waitFor();
  await tabTo('New webhook');
  await kb.keyboard.press('Enter');
  await kb.getByRole('heading', { name: 'New webhook' }).waitFor();
  await tabTo('Name');
  await kb.keyboard.type('Keyboard hook');
  await tabTo('URL');
  await kb.keyboard.press('Control+A');
  await kb.keyboard.type(`${receiver}/ok`);
  await tabTo('Event type order.refunded');
  await kb.keyboard.press('Space');
  await tabTo('Create webhook');
  await kb.keyboard.press('Enter');
  await kb.getByText('Webhook created. Here is its signing secret.').waitFor();
  await tabTo('← Webhooks');
  await kb.keyboard.press('Enter');
  await kb.getByRole('heading', { name: 'Webhooks' }).waitFor();
  await tabTo('Active: Keyboard hook');
  await kb.keyboard.press('Space');
  await until('the keyboard-made webhook to be active', async () => {
    const list = await apiCall('GET', `/v1/orgs/${orgA.id}/webhooks`);
    return list.items.some((w) => w.name === 'Keyboard hook' && w.active);
  });
  await everyControlNamed(kb, 'webhooks list');
  await context.close();
});

step('every control of the detail page is named; no markup ran anywhere', async () => {
  await page.goto(`${base}/ui/#/orgs/${orgA.id}/webhooks/${hookId}`);
  await page.getByRole('table', { name: 'Delivery log' }).locator('tbody tr[data-id]').first().waitFor();
  await everyControlNamed(page, 'webhook detail');
  await noScriptRan(page);
});

let failed = false;
for (const [name, fn] of steps) {
  const started = Date.now();
  try {
    await fn();
    console.log(`ok   ${name} (${Date.now() - started} ms)`);
  } catch (e) {
    failed = true;
    console.log(`FAIL ${name}: ${e.stack || e.message}`);
    await page.screenshot({ path: path.join(shots, 'failure.png'), fullPage: true }).catch(() => {});
    break;
  }
}
await browser.close();
process.exit(failed ? 1 : 0);
