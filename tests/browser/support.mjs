// Helpers of the dashboard's browser test (dashboard.mjs): checks, waiting
// without a deadline that load could miss, and the accessibility and
// script-injection checks run on several screens.

// Bounds for failure detection only (generous: the machine may be busy).
export const PATIENCE_MS = 120_000;

/** Throws with `message` unless `condition`. */
export function check(condition, message) {
  if (!condition) throw new Error(`check failed: ${message}`);
}

/** Polls `fn` until it returns something truthy (gives up after PATIENCE_MS). */
export async function until(what, fn) {
  const start = Date.now();
  let last;
  for (;;) {
    try { const v = await fn(); if (v) return v; } catch (e) { last = e; }
    if (Date.now() - start > PATIENCE_MS) throw new Error(`gave up waiting for ${what}${last ? `: ${last.message}` : ''}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

/** No markup from data ran: no `window.pwned`, no `<img onerror>`, no dialog. */
export async function noScriptRan(page, dialogs) {
  check(await page.evaluate(() => window.pwned === undefined), 'markup from data ran as script (window.pwned set)');
  check(await page.locator('img[onerror]').count() === 0, 'an <img onerror> from data became an element');
  check(dialogs.length === 0, `a dialog opened: ${dialogs.join(', ')}`);
}

/** Every visible control on the page has an accessible name (label, aria-label or text). */
export async function everyControlNamed(page, screen) {
  const unnamed = await page.evaluate(() => {
    const name = (el) => {
      if (el.getAttribute('aria-label')) return el.getAttribute('aria-label');
      if (el.id && document.querySelector(`label[for="${CSS.escape(el.id)}"]`)) return 'label';
      if (el.closest('label')) return el.closest('label').textContent.trim();
      if (['BUTTON', 'A', 'SUMMARY'].includes(el.tagName)) return el.textContent.trim();
      return '';
    };
    return [...document.querySelectorAll('input, select, textarea, button, a[href], summary')]
      .filter((el) => el.offsetParent !== null && !name(el))
      .map((el) => el.outerHTML.slice(0, 120));
  });
  check(unnamed.length === 0, `${screen}: controls without an accessible name: ${unnamed.join(' | ')}`);
}
