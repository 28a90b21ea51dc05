// The hostile project (project 3 of the local PostHog: every string of
// tests/data/hostile_corpus.json in every text field) analysed in the page:
// every view visited, every chart hovered so its tooltips render, every
// trace opened, every file downloaded. Nothing may run, nothing may leave for
// another host, every download is escaped, and the key is nowhere.
import { readFileSync } from 'node:fs';
import { test, expect, connectToEmulator } from './harness.mjs';
import { unzip } from './unzip.mjs';

const KEY = 'phx_emulator_all';
const PROJECT = 'Hostile project (3)';
const PRICE_HOST = 'raw.githubusercontent.com';

// Characters that hide or reorder text (src/format.rs, is_hidden): none may
// reach a download or the page's text raw.
const HIDDEN = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f-\u009f\u00ad\u034f\u061c\u115f\u1160\u180e\u200b-\u200f\u2028-\u202e\u2060-\u2064\u2066-\u206f\u3164\ufeff\uffa0\ufff9-\ufffb]|\udb40[\udc00-\udc7f]/u;
// A cell that could start a formula (src/report/csv_files.rs, formula_start).
const FORMULA = /^[=+\-@\t\r\uff1d\uff0b\uff0d\uff20]/;

/** Installed before the app's first script: records what should never be added to the DOM. */
function watch() {
  window.__hostile = [];
  window.__scripts = [];
  const bad = (url) => /^(javascript|vbscript|data:text\/html)/.test(String(url || '').replace(/[\s\u0000-\u001f]/g, '').toLowerCase());
  const note = (what, el) => window.__hostile.push(`${what}: ${(el.outerHTML || String(el)).slice(0, 200)}`);
  const check = (el) => {
    if (el.nodeType !== 1) return;
    for (const e of [el, ...el.querySelectorAll('*')]) {
      const tag = e.tagName.toLowerCase();
      if (['script', 'iframe', 'object', 'embed', 'frame', 'frameset', 'portal', 'base', 'applet'].includes(tag)) {
        // Scripts are checked against index.html's own once the page is done.
        if (tag === 'script') window.__scripts.push({ src: e.getAttribute('src'), text: e.textContent.trim(), html: e.outerHTML.slice(0, 200) });
        else note(`<${tag}> added`, e);
      }
      if (tag === 'meta' && /refresh/i.test(e.getAttribute('http-equiv') || '')) note('meta refresh', e);
      for (const a of e.attributes) {
        if (/^on/i.test(a.name)) note(`${a.name} attribute`, e);
        if (['href', 'src', 'action', 'formaction', 'xlink:href', 'data', 'srcdoc', 'poster', 'background'].includes(a.name.toLowerCase()) && (a.name === 'srcdoc' || bad(a.value))) note(`${a.name}=${a.value.slice(0, 60)}`, e);
      }
    }
  };
  new MutationObserver((records) => {
    for (const r of records) {
      if (r.type === 'childList') r.addedNodes.forEach(check);
      else if (r.type === 'attributes') check(r.target);
    }
  }).observe(document, { childList: true, subtree: true, attributes: true });
}

/** RFC 4180 records of `text`, strictly: every cell must be quoted. */
function parseCsv(text) {
  const rows = [];
  let i = 0;
  while (i < text.length) {
    const row = [];
    for (;;) {
      if (text[i] !== '"') throw new Error(`unquoted cell at ${i}: ${JSON.stringify(text.slice(i, i + 40))}`);
      let cell = '';
      i += 1;
      for (;;) {
        if (i >= text.length) throw new Error('unterminated cell');
        if (text[i] === '"') {
          if (text[i + 1] === '"') { cell += '"'; i += 2; } else { i += 1; break; }
        } else { cell += text[i]; i += 1; }
      }
      row.push(cell);
      if (text[i] === ',') { i += 1; continue; }
      if (text.startsWith('\r\n', i)) i += 2; else if (text[i] === '\n') i += 1; else if (i < text.length) throw new Error(`junk after a cell at ${i}`);
      break;
    }
    rows.push(row);
  }
  return rows;
}

/** Every cell a spreadsheet could split `cell` into, on any list separator. */
const pieces = (cell) => cell.split(/[,;\t\r\n]/).map((p) => p.replace(/^[ "]+/, '').replace(new RegExp(`^(${HIDDEN.source})+`, 'u'), ''));

/** Markdown outside fenced code blocks (the blocks are rendered as code). */
function prose(md) {
  const out = [];
  let fence = null;
  for (const line of md.split('\n')) {
    const m = line.match(/^(`{3,})/);
    if (fence === null && m) fence = m[1];
    else if (fence !== null && line.startsWith(fence) && line.trim() === fence) fence = null;
    else if (fence === null) out.push(line);
  }
  return out.join('\n');
}

/** Checks a Markdown download: no raw HTML or script link outside code (blocks and
 * backtick spans, which render as literal text), nothing hidden. */
function checkMarkdown(name, md) {
  const text = prose(md).replace(/`[^`\n]*`/g, '`code`');
  const tag = text.match(/<[a-zA-Z!?/][^\n]{0,60}/);
  expect(!tag, `${name}: raw HTML ${tag && JSON.stringify(tag[0])}`);
  const link = text.match(/\]\(\s*(javascript|vbscript|data):[^\n]{0,40}/i) || text.match(/^\s*\[[^\]]*\]:\s*(javascript|vbscript|data):/im);
  expect(!link, `${name}: script link ${link && JSON.stringify(link[0])}`);
  const hidden = md.match(HIDDEN);
  expect(!hidden, `${name}: raw U+${hidden && hidden[0].codePointAt(0).toString(16)}`);
}

test('hostile project: nothing runs, nothing leaves, every download is escaped, the key is nowhere', async ({ page, ctx, errors }) => {
  const dialogs = [], requests = [], consoleText = [];
  page.on('dialog', (d) => { dialogs.push(`${d.type()}: ${d.message()}`); d.dismiss().catch(() => {}); });
  page.on('request', (r) => requests.push(r.url()));
  page.on('console', (m) => consoleText.push(m.text()));
  await page.addInitScript(watch);
  const baseHost = new URL(ctx.base).host, emulatorHost = new URL(ctx.emulator).host;

  await connectToEmulator(page, ctx, KEY);
  const option = (await page.locator('#project-select option').evaluateAll((os) => os.map((o) => [o.value, o.textContent]))).find(([, t]) => t === PROJECT);
  expect(option, `${PROJECT} listed`);
  await page.selectOption('#project-select', option[0]);
  await page.click('#analyze');
  await page.waitForSelector('#report-html h2', { state: 'attached', timeout: 300000 });

  // Every view in turn: its charts hovered on a grid of points so their
  // tooltips render, its tables sorted by every column, its text checked.
  const VIEWS = ['overview', 'recommendations', 'cost', 'traces', 'failures', 'sample', 'report'];
  let charts = 0;
  let tooltips = 0;
  let shown = '';
  let opened = 0;
  let operations = 0;
  for (const slug of VIEWS) {
    await page.click(`#nav-${slug}`);
    await page.waitForSelector(`#view-${slug}:not(.hidden-view)`, { timeout: 10000 });
    await page.waitForFunction((v) => [...document.querySelectorAll(`#view-${v} [data-chart]`)].every((c) => c.querySelector('canvas') || c.textContent), slug, { timeout: 60000 });
    for (const chart of await page.locator(`#view-${slug} [data-chart]`).all()) {
      await chart.scrollIntoViewIfNeeded();
      const box = await chart.boundingBox();
      if (!box) continue;
      charts += 1;
      for (let fx = 0.05; fx < 1; fx += 0.09) {
        for (let fy = 0.1; fy < 1; fy += 0.2) {
          await page.mouse.move(box.x + box.width * fx, box.y + box.height * fy);
          tooltips += await page.evaluate(() => [...document.querySelectorAll('div')].filter((d) => d.style.position === 'absolute' && d.style.display !== 'none' && d.style.zIndex === '9999999' && d.textContent).length > 0 ? 1 : 0);
        }
      }
    }
    if (slug === 'traces') {
      // Every trace read closely, opened, with its excerpts.
      const traces = await page.locator('#traces-table button').all();
      for (const t of traces) {
        opened += 1;
        await t.click();
        await page.waitForSelector('#trace-detail');
        for (const d of await page.locator('#trace-detail details').all()) await d.evaluate((e) => { e.open = true; });
      }
    }
    if (slug === 'cost' && await page.locator('#what-if-operation').count()) {
      // The what-if: every operation of the picker.
      const ops = await page.locator('#what-if-operation option').evaluateAll((os) => os.map((o) => o.value));
      operations = ops.length;
      for (const op of ops.slice(0, 50)) await page.selectOption('#what-if-operation', op);
      await page.fill('#what-if-model', 'gpt-4o-mini');
    }
    for (const d of await page.locator(`#view-${slug} details`).all()) await d.evaluate((e) => { e.open = true; });
    for (const b of await page.locator(`#view-${slug} button.sort`).all()) await b.click();
    shown += await page.evaluate(() => document.body.innerText);
  }
  expect(charts >= 5, `charts drawn: ${charts}`);
  expect(tooltips > 0, 'hovering the charts showed tooltips');

  const hiddenShown = shown.match(HIDDEN);
  expect(!hiddenShown, `the page shows U+${hiddenShown && hiddenShown[0].codePointAt(0).toString(16)} raw`);
  expect(shown.includes('<U+202E>'), 'bidi overrides are shown by code point');

  // Downloads.
  const download = async (id) => {
    const [d] = await Promise.all([page.waitForEvent('download'), page.click(id)]);
    return readFileSync(await d.path());
  };
  const report = (await download('#download-recommendations')).toString('utf8');
  const summary = (await download('#download-summary')).toString('utf8');
  const bundle = unzip(await download('#download-bundle'));
  checkMarkdown('recommendations.md', report);
  checkMarkdown('summary.md', summary);
  let cells = 0;
  for (const [name, bytes] of bundle) {
    const text = bytes.toString('utf8');
    expect(!bytes.toString('latin1').includes(KEY), `${name} holds the key`);
    if (name.endsWith('.md')) checkMarkdown(name, text);
    if (name.endsWith('.json')) expect(JSON.parse(text) !== undefined, `${name} parses`);
    if (name.endsWith('.csv')) {
      const rows = parseCsv(text);
      expect(rows.length > 10 && rows.every((r) => r.length === rows[0].length), `${name}: ${rows.length} rows of ${rows[0].length} cells`);
      for (const row of rows) {
        for (const cell of row) {
          cells += 1;
          for (const p of pieces(cell)) expect(!FORMULA.test(p), `${name}: a cell could start a formula: ${JSON.stringify(cell.slice(0, 80))}`);
        }
      }
    }
  }
  expect(cells > 100, `CSV cells checked: ${cells}`);
  console.log(`  hostile: ${charts} charts hovered (${tooltips} tooltip views), ${opened} traces opened, ${operations} operations, ${cells} CSV cells, ${bundle.size} files, ${requests.length} requests`);

  // Nothing ran, nothing was added, nothing left for another host.
  const added = await page.evaluate(() => ({ hostile: window.__hostile, scripts: window.__scripts }));
  expect(dialogs.length === 0, `dialogs: ${dialogs.join(' | ')}`);
  expect(added.hostile.length === 0, `added to the DOM: ${added.hostile.slice(0, 10).join(' | ')}`);
  // The only scripts are index.html's own: the same source file or the same inline text.
  const index = await (await fetch(ctx.base)).text();
  const own = [...index.matchAll(/<script\b([^>]*)>([\s\S]*?)<\/script>/gi)].map(([, attrs, text]) => ({ src: (attrs.match(/\bsrc=["']?([^"' >]+)/i) || [])[1] || null, text: text.trim() }));
  const foreignScripts = added.scripts.filter((x) => !own.some((o) => (x.src ? o.src === x.src : !o.src && o.text === x.text)));
  expect(added.scripts.length > 0 && foreignScripts.length === 0, `scripts not in index.html: ${foreignScripts.map((x) => x.html).join(' | ')}`);
  const foreign = requests.filter((u) => !/^(blob|data):/.test(u) && ![baseHost, emulatorHost, PRICE_HOST].includes(new URL(u).host));
  expect(foreign.length === 0, `requests to other hosts: ${foreign.slice(0, 5).join(' | ')}`);

  // The key: not in the address, storage or console.
  expect(!page.url().includes(KEY), 'the address holds the key');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  expect(!stored.includes(KEY), 'storage holds the key without the opt-in');
  expect(!consoleText.some((t) => t.includes(KEY)), 'the console shows the key');
  expect(!report.includes(KEY) && !summary.includes(KEY), 'a report holds the key');
  const real = errors.filter((e) => !e.includes(PRICE_HOST));
  expect(real.length === 0, `page errors: ${real.slice(0, 5).join(' | ')}`);
});
