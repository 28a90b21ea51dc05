// Drives PostHog's Node SDK AI wrappers (`@posthog/ai` over `posthog-node`) against the fake
// LLM server, capturing to the emulator; run by make_sdk_fixtures.py's `node` scenario:
//
//   node node_sdk_scenario.cjs MODULES_DIR POSTHOG_HOST LLM_URL PROJECT_TOKEN
//
// MODULES_DIR is a node_modules folder holding @posthog/ai, posthog-node, openai and
// @anthropic-ai/sdk. No span names are passed: the events hold what the SDK sends itself.
const path = require('path');
const { createRequire } = require('module');
const [modules, host, llm, token] = process.argv.slice(2);
// Resolve the packages (and their export maps) from MODULES_DIR's parent folder.
const need = createRequire(path.join(path.resolve(modules), '..', 'scenario.cjs'));
const { PostHog } = need('posthog-node');
const { OpenAI } = need('@posthog/ai/openai');
const { Anthropic } = need('@posthog/ai/anthropic');

const tools = [{ type: 'function', function: { name: 'get_weather', description: 'Current weather for a city',
  parameters: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } } }];

async function main() {
  const posthog = new PostHog(token, { host, flushAt: 1, flushInterval: 0 });
  const trace = `sdk-node-${crypto.randomUUID()}`;
  const common = { posthogDistinctId: 'sdk_user_8', posthogTraceId: trace };
  const openai = new OpenAI({ apiKey: 'sk-fake', baseURL: `${llm}/v1`, maxRetries: 0, posthog });
  const messages = [{ role: 'user', content: 'Weather in Porto?' }];
  const first = await openai.chat.completions.create({ model: 'gpt-4o', messages, tools, ...common });
  const call = first.choices[0].message.tool_calls[0];
  messages.push(first.choices[0].message, { role: 'tool', tool_call_id: call.id, content: '{"temp_c": 22}' });
  await openai.chat.completions.create({ model: 'gpt-4o', messages, tools, ...common });
  await openai.chat.completions.create({ model: 'gpt-4o-mini', messages: [{ role: 'user', content: 'A long story' }], max_tokens: 10, ...common });
  await openai.responses.create({ model: 'gpt-4.1-mini', input: 'Describe Porto in detail', max_output_tokens: 16, ...common });
  const anthropic = new Anthropic({ apiKey: 'sk-ant-fake', baseURL: llm, maxRetries: 0, posthog });
  const anthropicTools = [{ name: 'get_weather', description: 'Current weather for a city',
    input_schema: { type: 'object', properties: { city: { type: 'string' } }, required: ['city'] } }];
  await anthropic.messages.create({ model: 'claude-sonnet-4-5', max_tokens: 512, tools: anthropicTools,
    messages: [{ role: 'user', content: 'Weather in Faro?' }], ...common });
  await anthropic.messages.create({ model: 'claude-3-5-haiku-20241022', max_tokens: 9,
    messages: [{ role: 'user', content: 'Every fact about Faro' }], ...common });
  await posthog.shutdown();
}

main().catch((err) => { console.error(err); process.exit(1); });
