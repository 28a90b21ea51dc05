// Times the served app in headless Chromium and prints figures:
//   node tests/e2e/bench.mjs --base URL [--runs 3]
// Demo project: click to report (generation, query plan, analysis, render).
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
