// An independent oracle: the figures a report must show, recomputed from
// raw PostHog events in a few plain lines, sharing no code with the app.
import { readFileSync } from 'node:fs';

/** Reads JSONL events. */
export function readEvents(path) {
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim()).map((l) => JSON.parse(l));
}

const num = (v) => (v === undefined || v === null || v === '' || Number.isNaN(Number(v)) ? null : Number(v));

/** Totals of the $ai_generation events in [start, end). */
export function totals(events, start, end) {
  const byOp = new Map();
  let calls = 0, cost = 0, errors = 0;
  for (const e of events) {
    if (e.event !== '$ai_generation') continue;
    const t = Date.parse(e.timestamp);
    if (t < start || t >= end) continue;
    const p = e.properties;
    const op = p.$ai_span_name || 'unnamed';
    const c = num(p.$ai_total_cost_usd) ?? 0;
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
