// A small end-to-end harness: Debian's Chromium driven by playwright-core
// (no browser download). Each test gets a fresh page; failures are counted,
// printed with the page's console errors, and set the exit code.
import { chromium } from 'playwright-core';

const tests = [];

/** Registers an end-to-end test: fn({ page, ctx }) */
export function test(name, fn) {
  tests.push({ name, fn });
}

/** Throws with a message when `cond` is false. */
export function expect(cond, message) {
  if (!cond) throw new Error(message);
}

/** Opens `url`, points the connect form at the local PostHog with `key`, and lists its projects. */
export async function connectToEmulator(page, ctx, key, url = ctx.base) {
  await page.goto(url);
  await page.selectOption('#host', 'custom');
  await page.fill('#custom-url', ctx.emulator);
  await page.fill('#api-key', key);
  await page.click('#discover');
  await page.waitForSelector('#project-select');
}

/** Runs every registered test (optionally filtered by a substring) and exits. */
export async function run(ctx) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  let failed = 0;
  const filter = process.env.E2E_FILTER || '';
  const chosen = tests.filter((t) => t.name.includes(filter));
  for (const t of chosen) {
    const context = await browser.newContext({ acceptDownloads: true, viewport: { width: 1280, height: 900 } });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => { if (m.type() === 'error') errors.push(`${m.text()} (${m.location().url || 'page'})`); });
    // The page runs under its Content-Security-Policy; a test that saw any
    // violation (reported to the page or on the console) fails.
    const csp = [];
    await context.addInitScript(() => {
      window.__cspViolations = [];
      window.addEventListener('securitypolicyviolation', (e) => window.__cspViolations.push(`${e.effectiveDirective} blocked ${e.blockedURI || 'inline'} at ${e.sourceFile || 'page'}:${e.lineNumber}`), true);
    });
    page.on('console', (m) => { if (/Content.Security.Policy/i.test(m.text())) csp.push(m.text()); });
    const started = Date.now();
    try {
      await t.fn({ page, ctx, errors, csp });
      const reported = await page.evaluate(() => window.__cspViolations || []).catch(() => []);
      expect(!csp.length && !reported.length, `Content-Security-Policy violations: ${[...csp, ...reported].join(' | ')}`);
      console.log(`e2e ok    ${t.name} (${Date.now() - started} ms)`);
    } catch (e) {
      failed += 1;
      console.log(`e2e FAIL  ${t.name}: ${e.stack || e}`);
      if (errors.length) console.log(`  page errors: ${errors.join(' | ')}`);
    }
    await context.close();
  }
  await browser.close();
  console.log(`e2e: ${chosen.length - failed} passed, ${failed} failed`);
  process.exit(failed ? 1 : 0);
}
