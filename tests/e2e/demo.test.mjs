// The demo project end to end: served release build, click, download, and
// the report's figures checked against the oracle on the same events.
import { readFileSync } from 'node:fs';
import { test, expect } from './harness.mjs';
import { readEvents, snapshotPrices, totals, usd, count } from './oracle.mjs';
import { unzip } from './unzip.mjs';

// The demo project's window: the 30 days before 2026-11-16T00:00Z.
const END = Date.parse('2026-11-16T00:00:00Z');
const START = END - 30 * 86400e3;

test('demo report downloads with the sections and totals of the raw events', async ({ page, ctx, errors }) => {
  const oracle = totals(readEvents(ctx.demoEvents), START, END, snapshotPrices(ctx.priceSnapshot));
  await page.goto(ctx.base);
  await page.click('#demo');
  await page.waitForSelector('#report-html h2', { timeout: 60000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-recommendations')]);
  expect(download.suggestedFilename() === 'recommendations.md', download.suggestedFilename());
  const md = readFileSync(await download.path(), 'utf8');
  for (const section of ['## Executive Summary', '## Cost Analysis', '## High-Variance Investigation', '## Failure-Mode Analysis', '## Qualitative Findings', '## Appendix']) {
    expect(md.includes(`\n${section}\n`), `missing ${section}`);
  }
  expect(md.includes(`**Generations analyzed:** ${count(oracle.calls)} in`), `generations: want ${count(oracle.calls)}`);
  expect(md.includes(`**Total cost:** ${usd(oracle.cost)} `), `total cost: want ${usd(oracle.cost)}`);
  for (const [op, o] of oracle.byOp) {
    const row = md.split('\n').find((l) => l.startsWith(`| ${op} |`));
    expect(row, `no row for ${op}`);
    const cells = row.split('|').map((c) => c.trim());
    expect(cells[2] === count(o.calls), `${op} calls ${cells[2]} != ${count(o.calls)}`);
    expect(cells[3] === usd(o.cost), `${op} cost ${cells[3]} != ${usd(o.cost)}`);
  }
  expect(errors.length === 0, `page errors: ${errors.join(' | ')}`);
});

test('raw HTML in the rendered report never becomes markup', async ({ page, ctx }) => {
  await page.goto(ctx.base);
  await page.click('#demo');
  await page.waitForSelector('#report-html h2', { timeout: 60000 });
  expect((await page.locator('#report-html script, #report-html img, #report-html iframe').count()) === 0, 'markup leaked');
});

test('results bundle holds the report, data files and a PNG of every chart', async ({ page, ctx }) => {
  await page.goto(ctx.base);
  await page.click('#demo');
  await page.waitForSelector('[data-chart=error-rate] canvas', { timeout: 60000 });
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-bundle')]);
  expect(download.suggestedFilename() === 'trace-optimizer-results.zip', download.suggestedFilename());
  const entries = unzip(readFileSync(await download.path()));
  for (const name of ['recommendations.md', 'data/metrics_by_span.csv', 'data/metrics_by_model.csv', 'data/model_pricing.json']) {
    expect(entries.has(name), `bundle lacks ${name}: ${[...entries.keys()]}`);
  }
  const pngs = [...entries.keys()].filter((n) => n.startsWith('figures/') && n.endsWith('.png'));
  expect(pngs.length === 5, `five chart images, got ${pngs}`);
  for (const n of pngs) expect(entries.get(n).subarray(1, 4).toString() === 'PNG', `${n} is not a PNG`);
  const csv = entries.get('data/metrics_by_span.csv').toString();
  expect(csv.split('\n')[0].startsWith('operation,calls,errors'), csv.split('\n')[0]);
  expect(JSON.parse(entries.get('data/model_pricing.json')).totals.generations > 0, 'pricing totals');
});
