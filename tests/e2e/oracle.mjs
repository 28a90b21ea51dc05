// An independent oracle: the figures a report must show, recomputed from
// raw PostHog events in a few plain lines, sharing no code with the app.
import { readFileSync } from 'node:fs';

/** Reads JSONL events. */
export function readEvents(path) {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

const num = (v) => (v === undefined || v === null || v === '' || Number.isNaN(Number(v)) ? null : Number(v));

/**
 * Per-token [input, output] prices from the bundled LiteLLM snapshot, for
 * the calls PostHog left unpriced. The oracle assumes the one rule it needs:
 * `gemini-2.0-flash-001` is LiteLLM's `gemini-2.0-flash` (a dated id).
 */
export function snapshotPrices(path) {
  const snap = JSON.parse(readFileSync(path, 'utf8'));
  const col = (name) => snap.columns.indexOf(name);
  const price = (key) => {
    const row = snap.models.find((m) => m[0] === key);
    return row && [row[col('input_cost_per_token')], row[col('output_cost_per_token')]];
  };
  return { 'gemini-2.0-flash-001': price('vertex_ai/gemini-2.0-flash') };
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
    const known = num(p.$ai_total_cost_usd);
    const price = prices[p.$ai_model];
    const c = known ?? (price ? (num(p.$ai_input_tokens) ?? 0) * price[0] + (num(p.$ai_output_tokens) ?? 0) * price[1] : 0);
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
