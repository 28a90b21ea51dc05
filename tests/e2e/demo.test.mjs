// The demo project end to end: served release build, click, download, and
// the report's figures checked against the oracle on the same events.
import { readFileSync } from 'node:fs';
import { test, expect } from './harness.mjs';
import { readEvents, snapshotPrices, totals, usd, count } from './oracle.mjs';

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
  for (const section of ['## Executive Summary', '## Cost Analysis']) {
    expect(md.includes(`\n${section}\n`), `missing ${section}`);
  }
  expect(md.includes(`**Generations analyzed:** ${count(oracle.calls)} in`), `generations: want ${count(oracle.calls)}`);
  expect(md.includes(`**Total cost:** ${usd(oracle.cost)} `), `total cost: want ${usd(oracle.cost)}`);
  for (const [op, o] of oracle.byOp) {
    const row = md.split('\n').find((l) => l.startsWith(`| ${op.replaceAll('_', '\\_')} |`));
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
