// The demo project end to end: served release build, click, download, and
// the report's figures checked against the oracle on the same events.
import { readFileSync } from 'node:fs';
import { test, expect } from './harness.mjs';
import { readEvents, snapshotPrices, totals, usd, count, figures, distribution, quantile, tableAfter, value } from './oracle.mjs';
import { unzip } from './unzip.mjs';

// The demo project's window: the 30 days before 2026-11-16T00:00Z.
const END = Date.parse('2026-11-16T00:00:00Z');
const START = END - 30 * 86400e3;

test('demo report downloads with the sections and totals of the raw events', async ({ page, ctx, errors }) => {
  const oracle = totals(readEvents(ctx.demoEvents), START, END, snapshotPrices(ctx.priceSnapshot));
  await page.goto(ctx.base);
  await page.click('#demo');
  await page.waitForSelector('#view-overview:not(.hidden-view)', { timeout: 60000 });
  await page.click('#nav-report');
  await page.waitForSelector('#report-html h2');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-recommendations')]);
  expect(download.suggestedFilename() === 'recommendations.md', download.suggestedFilename());
  const md = readFileSync(await download.path(), 'utf8');
  const [summary] = await Promise.all([page.waitForEvent('download'), page.click('#download-summary')]);
  const summaryMd = readFileSync(await summary.path(), 'utf8');
  expect(summary.suggestedFilename() === 'summary.md' && summaryMd.includes(`**Total cost:** ${usd(oracle.cost)} `), 'summary.md with the total cost');
  for (const section of ['## Executive Summary', '## Cost Analysis', '## High-Variance Investigation', '## Failure-Mode Analysis', '## Quality Signals', '## Data Quality', '## Segments', '## What Changed', '## Cost Audit', '## Qualitative Findings', '## Recommendations', '## Implementation Roadmap', '## Appendix']) {
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
  checkTables(md, figures(readEvents(ctx.demoEvents), START, END, snapshotPrices(ctx.priceSnapshot)));
  checkSegments(md, readEvents(ctx.demoEvents));

  // Every part beyond the runbook has its place in the page, with no key.
  await page.click('#nav-overview');
  await page.waitForSelector('#view-overview:not(.hidden-view) #what-changed li');
  await page.click('#nav-cost');
  for (const id of ['#changes-table', '#segments #users-table', '#segments #segments-table', '#cost-audit #audit-table']) {
    await page.waitForSelector(`#view-cost:not(.hidden-view) ${id} tbody tr`, { timeout: 10000 });
  }
  await page.click('#nav-failures');
  await page.waitForSelector('#view-failures:not(.hidden-view) #quality-signals #evaluations-table tbody tr');
});

/** The users table against the raw events: each user's spend at PostHog's recorded cost, as the section says. */
function checkSegments(md, events) {
  const byUser = new Map();
  let total = 0;
  for (const e of events) {
    const t = Date.parse(e.timestamp);
    if (e.event !== '$ai_generation' || t < START || t >= END) continue;
    const c = Number(e.properties.$ai_total_cost_usd ?? 0) || 0;
    byUser.set(e.distinct_id, (byUser.get(e.distinct_id) || 0) + c);
    total += c;
  }
  const top = [...byUser.entries()].sort((a, b) => b[1] - a[1])[0];
  const [user, , , cost, share] = tableAfter(md, '### Spend by user')[0];
  expect(user === top[0], `top user ${user}, events say ${top[0]}`);
  expect(cost === usd(top[1]), `${user} spent ${cost}, events say ${usd(top[1])}`);
  near(share, top[1] / total, `${user}'s share`);
}

/** `cell` shows `want` to the precision it is printed with. */
function near(cell, want, what) {
  const shown = value(cell), digits = (cell.split('.')[1] || '').replace(/[^0-9]/g, '').length;
  const tol = 0.5 * 10 ** -digits / (cell.endsWith('%') ? 100 : 1) + 1e-12;
  expect(Math.abs(shown - want) <= tol, `${what}: report shows ${cell}, oracle ${want}`);
}

/** Every figure of the cost, variance and failure tables against the oracle. */
function checkTables(md, o) {
  for (const [op, calls, cost, share, avg, tokens, p50, p95, rate] of tableAfter(md, '### Cost by operation')) {
    const g = o.byOp.get(op);
    expect(g, `operation ${op} is not in the events`);
    expect(value(calls) === g.calls && value(tokens) === g.tokens, `${op} calls/tokens`);
    near(cost, g.cost, `${op} cost`); near(share, g.cost / o.cost, `${op} share`); near(avg, g.cost / g.calls, `${op} avg`);
    near(p50, quantile(g.latencies, 0.5), `${op} p50`); near(p95, quantile(g.latencies, 0.95), `${op} p95`); near(rate, g.errors / g.calls, `${op} error rate`);
  }
  expect(tableAfter(md, '### Cost by operation').length === o.byOp.size, 'every operation listed');
  for (const [model, , calls, cost, share, tokens, p50, rate] of tableAfter(md, '### Cost by model')) {
    const g = o.byModel.get(model);
    expect(g && value(calls) === g.calls && value(tokens) === g.tokens, `model ${model} calls/tokens`);
    near(cost, g.cost, `${model} cost`); near(share, g.cost / o.cost, `${model} share`);
    near(p50, quantile(g.latencies, 0.5), `${model} p50`); near(rate, g.errors / g.calls, `${model} error rate`);
  }
  const variance = tableAfter(md, '## High-Variance Investigation');
  const top = [...o.byOp.entries()].sort((a, b) => b[1].cost - a[1].cost).slice(0, 5).map(([op]) => op);
  expect(JSON.stringify(variance.map((r) => r[0])) === JSON.stringify(top), `top operations ${variance.map((r) => r[0])} != ${top}`);
  for (const [op, n, min, median, mean, std, p95, p99, max, outliers, top1, top10] of variance) {
    const d = distribution([...o.traceCost.get(op).values()]);
    expect(value(n) === d.n && outliers === `${d.outliersSd} / ${d.outliersMad}`, `${op}: n ${n} outliers ${outliers} vs ${d.n} ${d.outliersSd} / ${d.outliersMad}`);
    for (const [cell, want, what] of [[min, d.min, 'min'], [median, d.median, 'median'], [mean, d.mean, 'mean'], [std, d.std, 'std'], [p95, d.p95, 'p95'], [p99, d.p99, 'p99'], [max, d.max, 'max'], [top1, d.top1, 'top 1%'], [top10, d.top10, 'top 10%']]) {
      near(cell, want, `${op} ${what}`);
    }
  }
  const groups = tableAfter(md, '## Failure-Mode Analysis');
  for (const [op, status, , calls] of groups) {
    expect(value(calls) === o.errorGroups.get(`${op}|${status}`), `errors of ${op} with status ${status}: ${calls}`);
  }
  for (const [op, , truncated] of tableAfter(md, '### Outputs')) {
    expect(value(truncated.split(' ')[0]) === o.truncated.get(op), `truncated outputs of ${op}: ${truncated}`);
  }
}

test('raw HTML in the rendered report never becomes markup', async ({ page, ctx }) => {
  await page.goto(ctx.base);
  await page.click('#demo');
  await page.waitForSelector('#view-overview:not(.hidden-view)', { timeout: 60000 });
  await page.click('#nav-report');
  await page.waitForSelector('#report-html h2');
  expect((await page.locator('#report-html script, #report-html img, #report-html iframe').count()) === 0, 'markup leaked');
});

test('results bundle holds the report, data files and a PNG of every chart', async ({ page, ctx }) => {
  await page.goto(ctx.base);
  await page.click('#demo');
  // Charts of views not on screen are drawn too: the bundle holds them all.
  await page.waitForSelector('[data-chart=error-rate] canvas', { state: 'attached', timeout: 60000 });
  await page.waitForSelector('[data-chart=trace-cost-5] canvas', { state: 'attached', timeout: 10000 });
  await page.click('#nav-report');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-bundle')]);
  expect(download.suggestedFilename() === 'trace-optimizer-results.zip', download.suggestedFilename());
  const entries = unzip(readFileSync(await download.path()));
  for (const name of ['recommendations.md', 'summary.md', 'validation_report.json', 'analysis.json', 'data/metrics_by_span.csv', 'data/metrics_by_model.csv', 'data/cost_variance.json', 'data/qualitative_samples.json', 'data/model_pricing.json']) {
    expect(entries.has(name), `bundle lacks ${name}: ${[...entries.keys()]}`);
  }
  const pngs = [...entries.keys()].filter((n) => n.startsWith('figures/') && n.endsWith('.png'));
  expect(pngs.length === 10, `ten chart images, got ${pngs}`);
  for (const n of pngs) expect(entries.get(n).subarray(1, 4).toString() === 'PNG', `${n} is not a PNG`);
  const csv = entries.get('data/metrics_by_span.csv').toString();
  expect(csv.split('\n')[0].startsWith('"operation","calls","errors"'), csv.split('\n')[0]);
  expect(JSON.parse(entries.get('data/model_pricing.json')).totals.generations > 0, 'pricing totals');
  const validation = JSON.parse(entries.get('validation_report.json'));
  expect(validation.overall_passed === true, `the demo validates: ${JSON.stringify(validation.stages)}`);
  expect(JSON.parse(entries.get('analysis.json')).format === 'trace-optimizer/analysis@1', 'analysis.json for the next run');
});
