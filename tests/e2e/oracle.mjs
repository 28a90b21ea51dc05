// An independent oracle: the figures a report must show, recomputed from
// raw PostHog events in a few plain lines, sharing no code with the app.
import { readFileSync } from 'node:fs';

/** Reads JSONL events. */
export function readEvents(path) {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

const num = (v) => (v === undefined || v === null || v === '' || Number.isNaN(Number(v)) ? null : Number(v));

/**
 * Per-token [input, output] prices from the bundled LiteLLM snapshot: for
 * the calls PostHog left unpriced, and the input price of the Anthropic
 * model whose cache tokens PostHog bills twice. The oracle assumes the two
 * naming rules it needs: `gemini-2.0-flash-001` is LiteLLM's
 * `gemini-2.0-flash` (a dated id), and `claude-3-5-haiku-20241022`, which
 * LiteLLM no longer lists under Anthropic, costs what its Bedrock entry
 * lists (Anthropic's own price, $0.80 per million input tokens).
 */
export function snapshotPrices(path) {
  const snap = JSON.parse(readFileSync(path, 'utf8'));
  const col = (name) => snap.columns.indexOf(name);
  const price = (key) => {
    const row = snap.models.find((m) => m[0] === key);
    return row && [row[col('input_cost_per_token')], row[col('output_cost_per_token')]];
  };
  return { 'gemini-2.0-flash-001': price('vertex_ai/gemini-2.0-flash'), 'claude-3-5-haiku-20241022': price('anthropic.claude-3-5-haiku-20241022-v1:0') };
}

/**
 * A generation's true cost and billed tokens. PostHog's recorded cost,
 * except on the LangChain and Vercel AI SDK paths, where Anthropic's cache
 * tokens are counted inside `$ai_input_tokens` (no
 * `$ai_cache_reporting_exclusive` sent) while PostHog reads Anthropic input
 * as apart from the cache and bills those tokens again at the input price.
 * Calls PostHog left unpriced are priced with `prices`.
 */
function billed(p, prices) {
  const input = num(p.$ai_input_tokens) ?? 0, output = num(p.$ai_output_tokens) ?? 0, price = prices[p.$ai_model];
  const known = num(p.$ai_total_cost_usd);
  if (known === null) return { cost: price ? input * price[0] + output * price[1] : 0, input, output };
  const cache = (num(p.$ai_cache_read_input_tokens) ?? 0) + (num(p.$ai_cache_creation_input_tokens) ?? 0);
  const framework = String(p.$ai_framework ?? '').toLowerCase();
  if (p.$ai_provider === 'anthropic' && ['langchain', 'vercel'].includes(framework) && p.$ai_cache_reporting_exclusive === undefined && cache > 0 && input >= cache && price) {
    return { cost: known - cache * price[0], input: input - cache, output };
  }
  return { cost: known, input, output };
}

/** Totals of the $ai_generation events in [start, end), unpriced calls priced with `prices`. */
export function totals(events, start, end, prices = {}) {
  const byOp = new Map();
  let calls = 0, cost = 0, errors = 0;
  for (const e of events) {
    if (e.event !== '$ai_generation') continue;
    const t = Date.parse(e.timestamp);
    if (t < start || t >= end) continue;
    const p = e.properties;
    const op = p.$ai_span_name || 'unnamed';
    const c = billed(p, prices).cost;
    calls += 1; cost += c;
    if (p.$ai_is_error === true || p.$ai_is_error === 'true') errors += 1;
    const o = byOp.get(op) || { calls: 0, cost: 0 };
    o.calls += 1; o.cost += c;
    byOp.set(op, o);
  }
  return { calls, cost, errors, byOp };
}

/** Formats dollars like the report: cents from $1, four decimals below. */
export function usd(x) {
  if (x >= 1 || x === 0) return '$' + x.toLocaleString('en-US', { minimumFractionDigits: 2, maximumFractionDigits: 2 });
  return '$' + x.toFixed(4);
}

/** Formats a count with thousands separators. */
export const count = (n) => n.toLocaleString('en-US');

// Statistics as the report states its method: type-7 quantiles, population sd.
const sorted = (xs) => [...xs].sort((a, b) => a - b);
export function quantile(xs, p) {
  const s = sorted(xs), h = (s.length - 1) * p, lo = Math.floor(h);
  return lo + 1 < s.length ? s[lo] + (h - lo) * (s[lo + 1] - s[lo]) : s[lo];
}
const mean = (xs) => xs.reduce((a, b) => a + b, 0) / xs.length;
const sd = (xs) => { const m = mean(xs); return Math.sqrt(mean(xs.map((x) => (x - m) ** 2))); };

/** Per-trace cost distribution of one operation, as the High-Variance table shows it. */
export function distribution(costs) {
  const med = quantile(costs, 0.5), mad = quantile(costs.map((c) => Math.abs(c - med)), 0.5);
  const sdRule = mean(costs) + 2 * sd(costs), madRule = med + 3 * 1.4826 * mad;
  const desc = sorted(costs).reverse(), total = costs.reduce((a, b) => a + b, 0);
  const top = (f) => desc.slice(0, Math.max(1, Math.ceil(costs.length * f))).reduce((a, b) => a + b, 0) / total;
  return {
    n: costs.length, min: desc[desc.length - 1], median: med, mean: mean(costs), std: sd(costs),
    p95: quantile(costs, 0.95), p99: quantile(costs, 0.99), max: desc[0],
    outliersSd: costs.filter((c) => c > sdRule).length, outliersMad: costs.filter((c) => c > madRule).length,
    top1: top(0.01), top10: top(0.1),
  };
}

/**
 * Every figure the report's tables show, from the $ai_generation events in
 * [start, end): by operation, by model, per-trace cost by operation, error
 * groups by operation and HTTP status, and truncated outputs by operation.
 */
export function figures(events, start, end, prices = {}) {
  const group = () => ({ calls: 0, cost: 0, tokens: 0, errors: 0, latencies: [] });
  const byOp = new Map(), byModel = new Map(), traceCost = new Map(), errorGroups = new Map(), truncated = new Map();
  let cost = 0;
  for (const e of events) {
    if (e.event !== '$ai_generation') continue;
    const t = Date.parse(e.timestamp);
    if (t < start || t >= end) continue;
    const p = e.properties, op = p.$ai_span_name || 'unnamed';
    const { cost: c, input, output } = billed(p, prices);
    const failed = p.$ai_is_error === true || p.$ai_is_error === 'true';
    cost += c;
    for (const [map, key] of [[byOp, op], [byModel, p.$ai_model]]) {
      const g = map.get(key) || group();
      g.calls += 1; g.cost += c; g.tokens += input + output; g.errors += failed ? 1 : 0; g.latencies.push(num(p.$ai_latency) ?? 0);
      map.set(key, g);
    }
    const perTrace = traceCost.get(op) || new Map();
    perTrace.set(p.$ai_trace_id, (perTrace.get(p.$ai_trace_id) || 0) + c);
    traceCost.set(op, perTrace);
    if (failed) {
      const key = `${op}|${p.$ai_http_status ?? '-'}`;
      errorGroups.set(key, (errorGroups.get(key) || 0) + 1);
    }
    const max = num(p.$ai_max_tokens);
    const cut = ['length', 'max_tokens'].includes(p.$ai_stop_reason) || (max > 0 && output >= max);
    truncated.set(op, (truncated.get(op) || 0) + (cut ? 1 : 0));
  }
  return { cost, byOp, byModel, traceCost, errorGroups, truncated };
}

/** The rows of the first Markdown table after `heading`, cells unescaped. */
export function tableAfter(md, heading) {
  const lines = md.slice(md.indexOf(`\n${heading}\n`) + heading.length + 2).split('\n');
  const first = lines.findIndex((l) => l.startsWith('|'));
  const rows = [];
  for (const l of lines.slice(first + 2)) {
    if (!l.startsWith('|')) break;
    rows.push(l.slice(1, -1).split(/(?<!\\)\|/).map((c) => c.trim().replace(/\\(.)/g, '$1')));
  }
  return rows;
}

/** A report cell as a number: `$1,234.56`, `43.1%`, `6.46 s`, `2,617`. */
export const value = (cell) => Number(cell.replace(/[$,%s ]/g, '')) / (cell.endsWith('%') ? 100 : 1);

/**
 * A trace's spans and generations as a tree, in pre-order: each node
 * `{ kind, name, depth, cost, below }` (`below`: the PostHog cost of the
 * generations in its subtree). A node hangs from the span (else the
 * generation) whose `$ai_span_id` its `$ai_parent_id` names, else from the
 * trace; siblings by time, then uuid, spans first.
 */
export function traceTree(events, traceId) {
  const nodes = events
    .filter((e) => (e.event === '$ai_span' || e.event === '$ai_generation') && String(e.properties.$ai_trace_id) === traceId)
    .map((e) => ({
      kind: e.event === '$ai_span' ? 'span' : 'generation',
      id: String(e.properties.$ai_span_id ?? ''),
      parent: String(e.properties.$ai_parent_id ?? ''),
      name: String(e.properties.$ai_span_name ?? ''),
      at: Date.parse(e.timestamp),
      uuid: e.uuid,
      cost: e.event === '$ai_generation' ? num(e.properties.$ai_total_cost_usd) ?? 0 : 0,
      children: [],
    }));
  nodes.sort((a, b) => a.at - b.at || (a.uuid < b.uuid ? -1 : a.uuid > b.uuid ? 1 : 0) || (a.kind === 'span' ? -1 : 1));
  const owner = new Map();
  for (const kind of ['span', 'generation']) for (const n of nodes) if (n.kind === kind && n.id && !owner.has(n.id)) owner.set(n.id, n);
  const roots = [];
  for (const n of nodes) {
    const p = owner.get(n.parent);
    (p && p !== n ? p.children : roots).push(n);
  }
  const below = (n) => n.cost + n.children.reduce((s, c) => s + below(c), 0);
  const out = [];
  const walk = (n, depth) => {
    out.push({ kind: n.kind, name: n.name, depth, cost: n.cost, below: below(n) });
    for (const c of n.children) walk(c, depth + 1);
  };
  for (const r of roots) walk(r, 0);
  return out;
}
