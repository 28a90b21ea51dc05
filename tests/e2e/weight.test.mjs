// The price snapshot is a file beside the page, not part of the wasm: the
// demo fetches it from the page's own origin and needs nothing else, and a
// site that lacks it says so instead of pricing with nothing.
import { readFileSync } from 'node:fs';
import { test, expect } from './harness.mjs';

test('demo fetches the price snapshot from its own origin and nothing from elsewhere', async ({ page, ctx, errors }) => {
  const origin = new URL(ctx.base).origin;
  const elsewhere = [], snapshots = [];
  await page.route('**/*', (route) => {
    const url = new URL(route.request().url());
    if (url.origin !== origin) { elsewhere.push(url.href); return route.abort(); }
    if (url.pathname.endsWith('/litellm_prices.json')) snapshots.push(url.href);
    return route.continue();
  });
  await page.goto(ctx.base);
  await page.click('#demo');
  await page.waitForSelector('#report-html h2', { state: 'attached', timeout: 60000 });
  const { snapshot_date: date, litellm_version: version } = JSON.parse(readFileSync(ctx.priceSnapshot, 'utf8'));
  const report = await page.textContent('#report-html');
  expect(report.includes(`LiteLLM snapshot ${date} (litellm ${version})`), `the report names the snapshot of ${date}`);
  expect(snapshots.length === 1, `one snapshot request, got ${snapshots.join(', ') || 'none'}`);
  expect(elsewhere.length === 0, `requests beyond the page's origin: ${elsewhere.join(', ')}`);
  // A second run prices with the table already loaded.
  await page.click('#nav-connect');
  await page.click('#demo');
  await page.waitForSelector('#cancel', { timeout: 5000 });
  await page.waitForSelector('#cancel', { state: 'detached', timeout: 60000 });
  expect(snapshots.length === 1, `the snapshot is fetched once per page, got ${snapshots.length}`);
  expect(errors.length === 0, `page errors: ${errors.join(' | ')}`);
});

test('demo on a site without the price snapshot stops with a message naming the file', async ({ page, ctx }) => {
  await page.route('**/litellm_prices.json', (route) => route.fulfill({ status: 404, body: 'not found' }));
  await page.goto(ctx.base);
  await page.click('#demo');
  const message = await (await page.waitForSelector('#error-message', { timeout: 20000 })).textContent();
  expect(message.includes('litellm_prices.json') && message.includes('HTTP 404'), `message: ${message}`);
  expect(!(await page.$('#report-html h2')), 'no report without prices');
});
