// The release build as a static host serves it: from a sub-path, with the
// headers of its `_headers` file. Every URL the page asks for must stay under
// that path, the demo must run there, and the Content-Security-Policy must be
// in force (an inline script is refused, a request to another host is
// blocked) and reported by the harness's watch.
import { createServer } from 'node:http';
import { readFileSync, existsSync, statSync } from 'node:fs';
import { join, extname, normalize } from 'node:path';
import { test, expect } from './harness.mjs';

const DIST = new URL('../../dist/', import.meta.url).pathname;
const PREFIX = '/some/sub/path/';
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript', '.wasm': 'application/wasm', '.css': 'text/css', '.svg': 'image/svg+xml' };

/** The headers of `_headers`' `/*` block, as a static host reads them. */
function staticHeaders() {
  const headers = {};
  let inBlock = false;
  for (const line of readFileSync(join(DIST, '_headers'), 'utf8').split('\n')) {
    if (line.startsWith('#') || !line.trim()) continue;
    if (!/^\s/.test(line)) { inBlock = line.trim() === '/*'; continue; }
    const at = line.indexOf(':');
    if (inBlock && at > 0) headers[line.slice(0, at).trim()] = line.slice(at + 1).trim();
  }
  return headers;
}

/** Serves dist/ under PREFIX only (and /framer, a page that frames it); every other path is a 404, recorded. */
function serve(headers, outside) {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url, 'http://x').pathname);
    if (path === '/framer') { res.writeHead(200, { 'Content-Type': 'text/html' }).end(`<iframe src="${PREFIX}" width="800" height="600"></iframe>`); return; }
    if (!path.startsWith(PREFIX)) { outside.push(path); res.writeHead(404).end(); return; }
    let file = normalize(join(DIST, path.slice(PREFIX.length)));
    if (!file.startsWith(DIST)) { res.writeHead(403).end(); return; }
    if (existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!existsSync(file)) { outside.push(path); res.writeHead(404).end(); return; }
    res.writeHead(200, { ...headers, 'Content-Type': TYPES[extname(file)] || 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

test('the build runs the demo from a sub-path, under its headers and policy', async ({ page, csp }) => {
  const headers = staticHeaders();
  for (const name of ['Content-Security-Policy', 'Referrer-Policy', 'X-Content-Type-Options', 'Permissions-Policy']) expect(headers[name], `_headers lacks ${name}`);
  expect(!headers['Content-Security-Policy'].includes('@CSP@') && /frame-ancestors 'none'/.test(headers['Content-Security-Policy']), `the header policy was written: ${headers['Content-Security-Policy']}`);
  const outside = [];
  const server = await serve(headers, outside);
  const root = `http://127.0.0.1:${server.address().port}${PREFIX}`;
  try {
    const requested = [];
    page.on('request', (r) => requested.push(r.url()));
    const response = await page.goto(root);
    expect(response.headers()['content-security-policy'] === headers['Content-Security-Policy'], 'the page is served with the header policy');
    const meta = await page.getAttribute('meta[http-equiv=Content-Security-Policy]', 'content');
    expect(meta && /script-src 'self' 'wasm-unsafe-eval' 'sha256-/.test(meta) && !/\s'unsafe-eval'/.test(meta), `the meta policy holds the loader's hash: ${meta}`);

    await page.click('#demo');
    await page.waitForSelector('#report-html h2', { state: 'attached', timeout: 60000 });
    // The error-rate chart is on the Failures view, the download on the Report view.
    await page.click('#nav-failures');
    await page.waitForSelector('[data-chart=error-rate] canvas', { timeout: 10000 });
    // A chart's tooltip is HTML with inline styles, written by ECharts.
    const box = await page.locator('[data-chart=error-rate] canvas').first().boundingBox();
    for (let x = 0.2; x <= 0.8; x += 0.1) await page.mouse.move(box.x + box.width * x, box.y + box.height * 0.6);
    await page.click('#nav-report');
    const [download] = await Promise.all([page.waitForEvent('download'), page.click('#download-recommendations')]);
    expect(download.suggestedFilename() === 'recommendations.md', download.suggestedFilename());

    const local = requested.filter((u) => u.startsWith(`http://127.0.0.1:${server.address().port}/`));
    expect(local.length >= 4 && local.every((u) => u.startsWith(root)), `every request stays under ${PREFIX}: ${local.filter((u) => !u.startsWith(root))}`);
    expect(outside.length === 0, `requests outside the build: ${outside}`);
    expect(csp.length === 0, `the demo ran under the policy without a violation: ${csp}`);

    // The policy is enforced, and the watch sees it: an injected inline script does not run,
    // a request to a host the policy does not name never leaves the page.
    const probe = await page.evaluate(async () => {
      const s = document.createElement('script');
      s.textContent = 'window.__injected = true';
      document.head.append(s);
      let fetched = true;
      try { await fetch('https://attacker.invalid/x'); } catch { fetched = false; }
      await new Promise((r) => setTimeout(r, 200));
      return { ran: window.__injected === true, fetched, reported: window.__cspViolations.map((v) => v.split(' ')[0]) };
    });
    expect(!probe.ran && !probe.fetched, `the policy blocks inline script and other hosts: ${JSON.stringify(probe)}`);
    expect(probe.reported.includes('script-src-elem') && probe.reported.includes('connect-src'), `the watch records both: ${probe.reported}`);
    expect(csp.length >= 2, `the console watch sees them too: ${csp.length}`);
    // Both were provoked on purpose: clear them so the harness's own check looks at the rest.
    await page.evaluate(() => { window.__cspViolations.length = 0; });
    csp.length = 0;

    // Another page cannot frame the app (frame-ancestors 'none', X-Frame-Options: DENY).
    await page.goto(new URL('/framer', root).href);
    const frame = await (await page.waitForSelector('iframe')).contentFrame();
    for (let i = 0; i < 100 && frame.url() === 'about:blank'; i++) await page.waitForTimeout(100);
    expect(frame.url() !== 'about:blank' && !frame.url().startsWith(root), `the app loaded inside a frame: ${frame.url()}`);
    csp.length = 0; // the refusal is reported on the console as a frame-ancestors violation
  } finally {
    server.close();
  }
});
