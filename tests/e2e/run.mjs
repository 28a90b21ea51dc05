// Runs the end-to-end tests: node tests/e2e/run.mjs --base URL --demo-events FILE --emulator URL
import { run } from './harness.mjs';
import './demo.test.mjs';
import './posthog.test.mjs';
import './subpath.test.mjs';
import './hostile.test.mjs';
import './workbench.test.mjs';
import './weight.test.mjs';

const arg = (name) => {
  const i = process.argv.indexOf(name);
  if (i < 0 || !process.argv[i + 1]) throw new Error(`missing ${name}`);
  return process.argv[i + 1];
};
const here = new URL('.', import.meta.url).pathname;
await run({ base: arg('--base'), demoEvents: arg('--demo-events'), emulator: arg('--emulator'), priceSnapshot: `${here}../../src/analysis/pricing/litellm_prices.json` });
