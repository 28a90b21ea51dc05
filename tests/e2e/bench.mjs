// Times the served app in headless Chromium and prints figures:
//   node tests/e2e/bench.mjs --base URL [--runs 3] [--emulator URL --label NAME]
// Demo project: click to report (generation, query plan, analysis, render).
// With --emulator: project 1 of that local PostHog, Analyze to report, with
// the queries used, dependent rounds, bytes fetched and the browser's own
// compute time.
import { chromium } from 'playwright-core';

const arg = (name, fallback) => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1] : fallback;
};
const base = arg('--base');
const runs = Number(arg('--runs', '3'));
if (!base) throw new Error('usage: node tests/e2e/bench.mjs --base URL [--runs 3]');

const browser = await chromium.launch({
  executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-quic', '--no-first-run',
    '--disable-background-networking', '--disable-component-update', '--disable-sync'],
});
const emulator = arg('--emulator');
if (emulator) {
  const rows = [];
  for (let i = 0; i < runs; i += 1) {
    const page = await browser.newPage();
    await page.goto(base);
    await page.selectOption('#host', 'custom');
    await page.fill('#custom-url', emulator);
    await page.fill('#api-key', 'phx_emulator_all');
    await page.fill('#project-id', '1');
    await page.fill('#window-days', '365');
    const t0 = Date.now();
    await page.click('#analyze');
    await page.waitForSelector('#report-html h2', { state: 'attached', timeout: 300000 });
    const ms = Date.now() - t0;
    const meter = await page.textContent('#query-meter');
    const timing = await page.locator('#run-timing');
    rows.push({
      ms,
      meter,
      rounds: Number(await timing.getAttribute('data-rounds')),
      fetch: Number(await timing.getAttribute('data-fetch-ms')),
      compute: Number(await timing.getAttribute('data-compute-ms')),
    });
    await page.close();
  }
  await browser.close();
  rows.sort((a, b) => a.ms - b.ms);
  const best = rows[0];
  console.log(`${arg('--label', 'PostHog project')}: Analyze to report best ${best.ms} ms (median ${rows[Math.floor(rows.length / 2)].ms} ms of ${runs} runs, the first against a cold ClickHouse); ${best.meter.trim()}; ${best.rounds} dependent rounds after the overview; queries and decoding ${best.fetch.toFixed(0)} ms, browser compute ${best.compute.toFixed(0)} ms`);
  process.exit(0);
}
const times = [];
for (let i = 0; i < runs; i += 1) {
  const page = await browser.newPage();
  await page.goto(base);
  await page.waitForSelector('#demo');
  times.push(await page.evaluate(async () => {
    const t0 = performance.now();
    document.querySelector('#demo').click();
    while (!document.querySelector('#report-html h2')) await new Promise((r) => setTimeout(r, 5));
    return performance.now() - t0;
  }));
  await page.close();
}
await browser.close();
times.sort((a, b) => a - b);
console.log(`demo project, click to report: best ${times[0].toFixed(0)} ms, median ${times[Math.floor(times.length / 2)].toFixed(0)} ms over ${runs} runs`);
