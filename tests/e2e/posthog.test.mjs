// The served app against the local PostHog: a key finds its projects, the
// analysis runs over HTTP, and neither the downloads nor the page's storage
// or address ever hold the key.
import { readFileSync } from 'node:fs';
import { test, expect, connectToEmulator } from './harness.mjs';
import { unzip } from './unzip.mjs';

const KEY = 'phx_emulator_all';

test('a PostHog project is analysed from the key, and the key stays out of every download', async ({ page, ctx, errors }) => {
  const requests = [];
  page.on('request', (r) => requests.push({ url: r.url(), auth: r.headers().authorization || '' }));
  await connectToEmulator(page, ctx, KEY);
  expect((await page.locator('#project-select option').allTextContents()).includes('Default project (1)'), 'projects listed');
  await page.click('#analyze');
  await page.waitForSelector('#view-overview:not(.hidden-view)', { timeout: 60000 });
  await page.click('#nav-report');
  await page.waitForSelector('#report-html h2');
  const [md] = await Promise.all([page.waitForEvent('download'), page.click('#download-recommendations')]);
  const report = readFileSync(await md.path(), 'utf8');
  expect(report.includes('**Source:** PostHog project Default project \\(1\\)'), 'the report names the project');
  for (const section of ['## Executive Summary', '## Cost Analysis', '## High-Variance Investigation', '## Failure-Mode Analysis', '## Qualitative Findings', '## Recommendations', '## Implementation Roadmap', '## Appendix']) {
    expect(report.includes(`\n${section}\n`), `missing ${section}`);
  }
  expect(report.includes(`](${ctx.emulator}/project/1/llm-analytics/traces/`), 'trace ids link to the project in PostHog');
  const [zip] = await Promise.all([page.waitForEvent('download'), page.click('#download-bundle')]);
  for (const [name, bytes] of unzip(readFileSync(await zip.path()))) {
    expect(!bytes.toString('latin1').includes(KEY), `${name} holds the key`);
  }
  expect(!report.includes(KEY), 'the report holds the key');
  expect(!page.url().includes(KEY), 'the address holds the key');
  const stored = await page.evaluate(() => JSON.stringify({ ...localStorage }) + JSON.stringify({ ...sessionStorage }) + document.cookie);
  expect(!stored.includes(KEY), 'storage holds the key without the opt-in');
  const withKey = requests.filter((r) => r.auth.includes(KEY) || r.url.includes(KEY));
  expect(withKey.length > 0 && withKey.every((r) => r.url.startsWith(ctx.emulator) && !r.url.includes(KEY)), 'the key goes to the PostHog host only, in a header');
  // The live LiteLLM price table may be out of reach (the report then says it used the snapshot).
  const real = errors.filter((e) => !e.includes('raw.githubusercontent.com'));
  expect(real.length === 0, `page errors: ${real.join(' | ')}`);
});
