// The workbench end to end, against the served release build and the local
// PostHog: connect, pick the project, analyze, open every view, open a
// trace's tree, change a tag, mark one fix shipped and one rejected, reload
// (settings and marks kept, the key gone), analyze again and read the
// follow-up. Screenshots of every view, light and dark, at 1440 and 1024 px,
// go to $SCREENSHOTS (default target/screenshots).
import { mkdirSync, readFileSync } from 'node:fs';
import { test, expect, connectToEmulator } from './harness.mjs';
import { unzip } from './unzip.mjs';
import { readEvents, traceTree, usd } from './oracle.mjs';

const KEY = 'phx_emulator_all';
const VIEWS = ['overview', 'recommendations', 'cost', 'traces', 'failures', 'sample', 'report'];
const SHOTS = process.env.SCREENSHOTS || 'target/screenshots';

/** Opens a view from the side bar and waits until it is the one shown. */
async function open(page, slug) {
  await page.click(`#nav-${slug}`);
  await page.waitForSelector(`#view-${slug}:not(.hidden-view)`, { timeout: 10000 });
  expect(page.url().endsWith(`#/${slug}`), `the address names ${slug}: ${page.url()}`);
}

/** The generations PostHog holds in [start, end), asked of PostHog itself (HogQL), not of the page. */
async function generationsIn(ctx, start, end) {
  const query = `SELECT count() FROM events WHERE event = '$ai_generation' AND timestamp >= toDateTime('${start}') AND timestamp < toDateTime('${end}')`;
  const r = await fetch(`${ctx.emulator}/api/projects/1/query/`, {
    method: 'POST', headers: { authorization: `Bearer ${KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ query: { kind: 'HogQLQuery', query } }),
  });
  expect(r.ok, `HogQL count: HTTP ${r.status}`);
  return Number((await r.json()).results[0][0]);
}

/** Waits until the run in progress has ended. */
async function runEnds(page) {
  await page.waitForSelector('#progress', { state: 'detached', timeout: 120000 });
  expect((await page.locator('#error-message').count()) === 0, `the run failed: ${await page.locator('#error-message').textContent().catch(() => '')}`);
}

async function analyzeFromConnect(page, ctx) {
  await connectToEmulator(page, ctx, KEY, `${ctx.base}#/connect`);
  await page.selectOption('#project-select', '1');
  await page.click('#analyze');
  await page.waitForSelector('#progress', { timeout: 10000 });
  await runEnds(page);
  await page.waitForSelector('#view-overview:not(.hidden-view) #headline');
}

/**
 * Opens the first trace read whose tree has spans and checks its nodes
 * (kind, name, depth, in order; a generation's cost and a span's cost of
 * what runs below it) against the tree the raw events make, then folds it
 * by keyboard.
 */
async function checkTree(page, ctx, traces) {
  let shown = [];
  for (let i = 0; i < traces && !shown.some((n) => n.kind === 'span'); i++) {
    await page.locator('#traces-table button.link').nth(i).click();
    // Until the tree shown is the chosen row's.
    await page.waitForFunction((i) => {
      const row = document.querySelectorAll('#traces-table tbody tr')[i];
      const head = document.querySelector('#trace-detail h3');
      return row?.classList.contains('selected') && head && row.querySelector('td').title === head.title;
    }, i);
    await page.waitForSelector('#trace-tree li.tree-node');
    shown = await page.locator('#trace-tree li.tree-node').evaluateAll((lis) => lis.map((li) => ({
      kind: li.querySelector('.node-kind').textContent.trim(),
      name: li.querySelector('.node-name').getAttribute('title'),
      depth: Number(li.dataset.depth),
      cost: li.querySelector('.node-cost')?.textContent.trim() ?? '',
    })));
  }
  expect(shown.some((n) => n.kind === 'span'), 'a trace read closely has spans');
  const id = await page.locator('#trace-detail h3').getAttribute('title');
  const truth = traceTree(readEvents(ctx.demoEvents), id);
  const line = (n) => `${'  '.repeat(n.depth)}${n.kind} ${n.name}`;
  expect(shown.map(line).join('\n') === truth.map(line).join('\n'), `the tree of ${id}:\n${shown.map(line).join('\n')}\nthe events make:\n${truth.map(line).join('\n')}`);
  expect(Math.max(...shown.map((n) => n.depth)) >= 2, 'the tree is deeper than one level of steps');
  const gen = truth.findIndex((n) => n.kind === 'generation' && n.cost > 0);
  const span = truth.findIndex((n) => n.kind === 'span');
  expect(shown[gen].cost === usd(truth[gen].cost), `generation ${gen} costs ${shown[gen].cost}, its event ${usd(truth[gen].cost)}`);
  expect(shown[span].cost === usd(truth[span].below), `span ${span} shows ${shown[span].cost} below it, the events ${usd(truth[span].below)}`);
  // Folding the first node with children, by keyboard, hides its subtree; unfolding shows it again.
  const top = truth.findIndex((n, i) => truth[i + 1]?.depth > n.depth);
  const rest = truth.slice(top + 1).findIndex((n) => n.depth <= truth[top].depth);
  const subtree = rest < 0 ? truth.length - top - 1 : rest;
  const hiddenCount = () => page.locator('#trace-tree li.tree-node[hidden]').count();
  const node = page.locator('#trace-tree li.tree-node').nth(top);
  await node.locator('.tree-toggle').first().focus();
  await page.keyboard.press('Enter');
  const folded = await hiddenCount();
  expect(folded === subtree, `folding node ${top} hides ${folded} nodes, its subtree holds ${subtree}`);
  expect(await node.getAttribute('aria-expanded') === 'false', 'the folded node says so');
  await page.keyboard.press('Enter');
  expect(await hiddenCount() === 0, 'unfolded again');
}

test('workbench: views, a trace tree, tags, marks, reload and the follow-up', async ({ page, ctx, errors }) => {
  mkdirSync(SHOTS, { recursive: true });
  await page.setViewportSize({ width: 1440, height: 900 });
  await analyzeFromConnect(page, ctx);

  // Every view, reachable from the side bar; the address names it.
  for (const slug of VIEWS) await open(page, slug);
  await page.goBack();
  await page.waitForSelector('#view-sample:not(.hidden-view)');

  // A trace as a tree.
  await open(page, 'traces');
  const traces = await page.locator('#traces-table tbody tr').count();
  expect(traces >= 5, `traces read: ${traces}`);
  await page.locator('#traces-table button.link').nth(1).click();
  await page.waitForSelector('#trace-tree [role=treeitem] .generation');
  expect((await page.locator('#trace-detail a.button').getAttribute('href')).startsWith(`${ctx.emulator}/project/1/llm-analytics/traces/`), 'the tree links to the trace in PostHog');
  await checkTree(page, ctx, traces);

  // A tag changed by the reader.
  await open(page, 'sample');
  const before = await page.locator('#tag-frequencies').textContent();
  await page.locator('.sample input[data-tag=tool_abuse]').first().check();
  await page.waitForSelector('.sample.edited');
  expect((await page.locator('#tag-frequencies').textContent()) !== before, 'tag frequencies follow the tag');

  // One recommendation shipped, one rejected.
  await open(page, 'recommendations');
  // Cards are named by rank in the page (#rec-1); their data-id is the recommendation's id.
  const cards = await page.locator('#open-recommendations .rec-card').evaluateAll((cards) => cards.map((c) => [c.id, c.dataset.id]));
  expect(cards.length >= 2, `at least two recommendations: ${cards}`);
  const [[shipCard, shipped], [rejectCard, rejected]] = cards;
  const titles = {};
  for (const [card, id] of [[shipCard, shipped], [rejectCard, rejected]]) titles[id] = (await page.locator(`#${card} h3`).textContent()).trim();
  await page.click(`#${shipCard} .mark-shipped`);
  await page.fill(`#${shipCard} input.day`, '2026-11-20');
  await page.click(`#${shipCard} .save-mark`);
  await page.click(`#${rejectCard} .mark-rejected`);
  await page.fill(`#${rejectCard} input.reason`, 'needs a quality review first');
  await page.click(`#${rejectCard} .save-mark`);
  await page.waitForSelector(`#decided-recommendations #${rejectCard}`);
  expect(await page.locator(`#${shipCard}`).getAttribute('data-status') === 'shipped', 'shipped');

  // Downloads: analysis.json carries the marks; the totals are PostHog's own count for the window.
  await open(page, 'report');
  const [zip] = await Promise.all([page.waitForEvent('download'), page.click('#download-bundle')]);
  const files = unzip(readFileSync(await zip.path()));
  const analysis = JSON.parse(files.get('analysis.json'));
  const rec = (id) => analysis.recommendations.find((r) => r.id === id);
  expect(rec(shipped).status === 'shipped' && rec(shipped).on === '2026-11-20', `shipped in analysis.json: ${JSON.stringify(rec(shipped))}`);
  expect(rec(rejected).status === 'rejected' && rec(rejected).reason === 'needs a quality review first', `rejected in analysis.json: ${JSON.stringify(rec(rejected))}`);
  const truth = await generationsIn(ctx, analysis.window_start.replace('T', ' ').slice(0, 19), analysis.window_end.replace('T', ' ').slice(0, 19));
  expect(analysis.generations === truth, `analysis.json counts ${analysis.generations} generations, PostHog ${truth}`);
  const md = files.get('recommendations.md').toString();
  expect(md.includes(`**Generations analyzed:** ${truth.toLocaleString('en-US')} in`), 'the report counts what PostHog holds');
  for (const [name, bytes] of files) expect(!bytes.toString('latin1').includes(KEY), `${name} holds the key`);

  // Screenshots: every view, light and dark, at 1440 and 1024 px.
  for (const scheme of ['light', 'dark']) {
    await page.emulateMedia({ colorScheme: scheme });
    for (const width of [1440, 1024]) {
      await page.setViewportSize({ width, height: 900 });
      for (const slug of VIEWS) {
        await open(page, slug);
        await page.waitForTimeout(150);
        await page.screenshot({ path: `${SHOTS}/${slug}-${scheme}-${width}.png`, fullPage: true });
        // Wide tables scroll inside their panel; the page itself never scrolls sideways.
        const wide = await page.evaluate(() => document.documentElement.scrollWidth);
        expect(wide <= width, `${slug} at ${width} px is ${wide} px wide`);
      }
    }
  }
  await page.emulateMedia({ colorScheme: 'light' });
  await page.setViewportSize({ width: 1440, height: 900 });

  await open(page, 'overview');
  const headline = await page.locator('#headline').textContent();

  // A reload: settings and marks kept, the key gone.
  await page.reload();
  await page.goto(`${ctx.base}#/connect`);
  await page.waitForSelector('#view-connect:not(.hidden-view)');
  expect(await page.inputValue('#api-key') === '', 'the key is gone without the opt-in');
  expect(await page.inputValue('#custom-url') === ctx.emulator, 'the host is kept');
  expect(await page.inputValue('#project-id') === '1', 'the project is kept');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }));
  expect(!stored.includes(KEY), 'storage holds no key');
  const kept = await page.locator('#kept-project').textContent();
  expect(kept.includes('2 marked'), `the marks are kept: ${kept}`);

  // The last analysis reopens from this browser's Cache Storage, marks and all, without asking PostHog.
  const asked = [];
  const onRequest = (r) => { if (r.url().startsWith(ctx.emulator)) asked.push(r.url()); };
  page.on('request', onRequest);
  await page.click('#reopen-project');
  await page.waitForSelector('#view-overview:not(.hidden-view) #headline');
  page.off('request', onRequest);
  expect(asked.length === 0, `reopening asked PostHog: ${asked.join(', ')}`);
  expect(await page.locator('#headline').textContent() === headline, 'the reopened overview is the one shown before the reload');
  await open(page, 'recommendations');
  expect(await page.locator(`#${shipCard}`).getAttribute('data-status') === 'shipped', 'the reopened run shows the marks');
  const cached = await page.evaluate(async () => {
    const cache = await caches.open('trace-optimizer.runs');
    const texts = [];
    for (const request of await cache.keys()) {
      const body = (await cache.match(request)).body.pipeThrough(new DecompressionStream('gzip'));
      texts.push(await new Response(body).text());
    }
    return texts;
  });
  expect(cached.length >= 1 && cached.every((t) => t.startsWith('trace-optimizer/run@2\n')), `Cache Storage holds the kept run: ${cached.map((t) => t.slice(0, 40))}`);
  expect(cached.every((t) => !t.includes(KEY)), 'the kept run holds no key');
  await page.goto(`${ctx.base}#/connect`);
  await page.waitForSelector('#view-connect:not(.hidden-view)');

  // Analyze again: the follow-up, by itself.
  await page.fill('#api-key', KEY);
  await page.click('#analyze');
  await page.waitForSelector('#progress', { timeout: 10000 });
  await runEnds(page);
  await open(page, 'recommendations');
  const targets = await page.locator('#targets-table').textContent();
  expect(targets.includes(titles[shipped].slice(0, 40)) && /hit|miss/.test(targets), `the shipped fix's target is checked: ${targets}`);
  const settled = await page.locator('#settled').textContent();
  expect(settled.includes('shipped on 2026-11-20') && settled.includes('rejected: needs a quality review first'), `settled: ${settled}`);
  const proposed = await page.locator('.rec-card').evaluateAll((cards) => cards.map((c) => c.dataset.id));
  expect(!proposed.includes(shipped) && !proposed.includes(rejected), `settled fixes proposed again: ${proposed}`);
  const real = errors.filter((e) => !e.includes('raw.githubusercontent.com'));
  expect(real.length === 0, `page errors: ${real.join(' | ')}`);
});
