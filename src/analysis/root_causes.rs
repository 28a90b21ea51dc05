//! Stage 5, root causes: each outlier trace's generations tested against
//! the usual suspects, with numbers. A hypothesis holds when its measure
//! passes the threshold named beside it; several can hold at once.
//!
//! The outliers explain the tail; the size of a cause is measured over the
//! population: every hypothesis is also tested on every row of each top
//! operation ([`CauseReach`]), so a cause common among ordinary traces is
//! not reported at the size of the few outliers that show it.

use super::by_operation::{ByOperation, Priced};
use super::dataset::TraceOpRow;
use super::pricing::Costing;
use super::select::Selection;
use super::stats::median_in_place;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Prompt bloat: input tokens per generation at least this many times the operation's median.
pub const BLOAT_FACTOR: f64 = 3.0;
/// Model misuse: a model whose output costs at least this (USD per 1M tokens)...
pub const PREMIUM_OUTPUT_PER_M: f64 = 10.0;
/// ...on an operation whose median output is at most this many tokens per generation.
pub const SHORT_OUTPUT_TOKENS: f64 = 50.0;
/// Retry storm: at least this many generations repeat an earlier input exactly.
pub const RETRY_DUPLICATES: u64 = 2;
/// History growth (context stuffing): the last prompt at least this many
/// times the first, so the history added carries half the first prompt
/// again. A prompt that merely varies from turn to turn (a retrieved
/// passage, a longer question) seldom moves by half; a long fixed system
/// prompt with a few growing turns still passes, where a doubling would
/// miss it.
pub const STUFFING_GROWTH: f64 = 1.5;
/// History growth: the turns a bounded history keeps besides the first, K
/// (the bound: the first turn's prompt plus the last K turns' additions).
/// A row needs more turns than this to grow past the bound at all.
pub const HISTORY_KEPT_TURNS: u64 = 4;
/// History growth: at least this many input tokens added per turn on
/// average. A turn that re-sends the history adds at least one message and
/// one answer (hundreds of tokens in agent loops); growth of a few dozen
/// tokens a turn is the jitter of templates (dates, ids), not a history.
pub const MIN_TURN_GROWTH_TOKENS: f64 = 50.0;
/// Tool loop: at least this many generations ending in a tool call.
pub const TOOL_LOOP_CALLS: u64 = 5;
/// Volume: at least this many times the operation's median generations per trace.
pub const VOLUME_FACTOR: f64 = 2.0;

/// How a (trace, operation) row's prompt grows turn over turn.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Growth {
    /// Turns: the row's calls, less those repeating an earlier input
    /// exactly (a retry resends a turn; it adds none).
    pub turns: u64,
    /// Average input tokens added per turn, `(last - first) / (turns - 1)`.
    pub per_turn: f64,
    /// Input tokens a bounded history would not send: `d (n-K-1)(n-K) / 2`
    /// for `n` turns and `K` = [`HISTORY_KEPT_TURNS`] (exact for linear
    /// growth), at most the row's input above `n` first prompts.
    pub saved_tokens: f64,
}

/// The growth rule shared by history growth (the recommendation), context
/// stuffing (the cause) and the qualitative tag: more than
/// [`HISTORY_KEPT_TURNS`] turns, at least [`MIN_TURN_GROWTH_TOKENS`] added
/// per turn, and the last prompt at least [`STUFFING_GROWTH`] times the first.
pub fn history_growth(r: &TraceOpRow) -> Option<Growth> {
    let turns = r.generations.saturating_sub(r.duplicate_inputs);
    let (first, last) = (r.first_input_tokens as f64, r.last_input_tokens as f64);
    if turns <= HISTORY_KEPT_TURNS || first <= 0.0 || last < STUFFING_GROWTH * first {
        return None;
    }
    let per_turn = (last - first) / (turns - 1) as f64;
    if per_turn < MIN_TURN_GROWTH_TOKENS {
        return None;
    }
    let beyond = (turns - HISTORY_KEPT_TURNS) as f64;
    let estimate = per_turn * (beyond - 1.0) * beyond / 2.0;
    let above_first = (r.tokens.input as f64 - r.generations as f64 * first).max(0.0);
    Some(Growth { turns, per_turn, saved_tokens: estimate.min(above_first) })
}

/// A cause of an expensive trace.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Cause {
    PromptBloat,
    ModelMisuse,
    RetryStorm,
    ContextStuffing,
    ToolLoop,
    Truncation,
    Errors,
    /// Many more generations than usual, with none of the above.
    Volume,
}

impl Cause {
    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Cause::PromptBloat => "prompt bloat",
            Cause::ModelMisuse => "premium model on a simple step",
            Cause::RetryStorm => "retry storm",
            Cause::ContextStuffing => "context stuffing",
            Cause::ToolLoop => "tool loop",
            Cause::Truncation => "truncation",
            Cause::Errors => "failed calls",
            Cause::Volume => "more generations than usual",
        }
    }
}

/// One outlier trace within one operation, and what explains its cost.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Diagnosis {
    pub trace_id: String,
    /// The trace's first generation in the operation (for links to PostHog).
    #[serde(with = "crate::time::instant")]
    pub first_seen: chrono::DateTime<chrono::Utc>,
    pub operation: String,
    pub cost_usd: f64,
    /// Cost over the operation's median per-trace cost.
    pub times_median: f64,
    /// The hypotheses that held, each with its numbers.
    pub causes: Vec<(Cause, String)>,
}

/// A cause across the outliers.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CauseSummary {
    pub cause: Cause,
    pub traces: u64,
    /// Cost of the outlier traces it explains (a trace with two causes counts for both).
    pub cost_usd: f64,
    /// That cost over the window's total cost.
    pub share_of_spend: f64,
    pub operations: Vec<String>,
}

/// A cause across every row of one operation, outliers or not.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CauseReach {
    pub operation: String,
    pub cause: Cause,
    /// The operation's traces showing the cause, of all its traces
    /// (traces without an id count too).
    pub traces: u64,
    pub of: u64,
    /// Cost of those traces within the operation.
    pub cost_usd: f64,
    /// That cost over the operation's cost.
    pub share_of_operation: f64,
}

/// Stage 5's result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RootCauses {
    /// Most expensive first.
    pub diagnoses: Vec<Diagnosis>,
    /// Most costly cause first.
    pub summary: Vec<CauseSummary>,
    /// Each cause over every row of each top operation: operations in the
    /// order given, then the most costly cause first.
    #[serde(default)]
    pub population: Vec<CauseReach>,
}

/// Medians of one operation's per-trace rows.
struct Baseline {
    cost: f64,
    input_per_generation: f64,
    output_per_generation: f64,
    generations: f64,
}

fn baseline(rows: &[Priced]) -> Baseline {
    // One pass over the rows for the four measures.
    let mut v: [Vec<f64>; 4] = std::array::from_fn(|_| Vec::with_capacity(rows.len()));
    for &Priced { row: r, cost } in rows {
        let n = r.generations.max(1) as f64;
        v[0].push(cost);
        v[1].push(r.tokens.input as f64 / n);
        v[2].push(r.tokens.output as f64 / n);
        v[3].push(r.generations as f64);
    }
    let [cost, input, output, generations] = v.map(|mut v| median_in_place(&mut v).unwrap_or(0.0));
    Baseline { cost, input_per_generation: input, output_per_generation: output, generations }
}

/// The models whose output is premium-priced ([`PREMIUM_OUTPUT_PER_M`]).
fn premium_models(costing: &Costing) -> Vec<&str> {
    costing.prices.iter().filter(|(_, res)| res.price.output * 1e6 >= PREMIUM_OUTPUT_PER_M).map(|((model, _), _)| model.as_str()).collect()
}

/// The hypotheses that hold for one row, in [`Cause`] order, without their
/// text (cheap enough for every row of an operation).
fn holds(r: &TraceOpRow, base: &Baseline, premium: &[&str]) -> Vec<Cause> {
    let mut causes = Vec::new();
    let n = r.generations.max(1) as f64;
    if base.input_per_generation > 0.0 && r.tokens.input as f64 / n >= BLOAT_FACTOR * base.input_per_generation {
        causes.push(Cause::PromptBloat);
    }
    if base.output_per_generation <= SHORT_OUTPUT_TOKENS && r.models.iter().any(|m| premium.contains(&m.as_str())) {
        causes.push(Cause::ModelMisuse);
    }
    if r.duplicate_inputs >= RETRY_DUPLICATES {
        causes.push(Cause::RetryStorm);
    }
    if history_growth(r).is_some() {
        causes.push(Cause::ContextStuffing);
    }
    if r.tool_calls >= TOOL_LOOP_CALLS {
        causes.push(Cause::ToolLoop);
    }
    if r.truncated > 0 {
        causes.push(Cause::Truncation);
    }
    if r.errors > 0 {
        causes.push(Cause::Errors);
    }
    if causes.is_empty() && base.generations > 0.0 && r.generations as f64 >= VOLUME_FACTOR * base.generations {
        causes.push(Cause::Volume);
    }
    causes
}

/// Tests every hypothesis on one outlier row, each that holds with its numbers.
fn diagnose(r: &TraceOpRow, base: &Baseline, premium: &[&str]) -> Vec<(Cause, String)> {
    let n = r.generations.max(1) as f64;
    let input = r.tokens.input as f64 / n;
    holds(r, base, premium)
        .into_iter()
        .map(|cause| {
            let text = match cause {
                Cause::PromptBloat => format!("{:.0} input tokens per generation, {:.1}x the operation's median {:.0}", input, input / base.input_per_generation, base.input_per_generation),
                Cause::ModelMisuse => {
                    let model = r.models.iter().find(|m| premium.contains(&m.as_str())).map_or("", String::as_str);
                    format!("{model} (output at ${PREMIUM_OUTPUT_PER_M:.0}+ per 1M tokens) where the median output is {:.0} tokens", base.output_per_generation)
                }
                Cause::RetryStorm => format!("{} of {} generations repeat an earlier input exactly", r.duplicate_inputs, r.generations),
                Cause::ContextStuffing => format!("input grew from {} to {} tokens over {} generations", r.first_input_tokens, r.last_input_tokens, r.generations),
                Cause::ToolLoop => format!("{} generations ended asking for a tool", r.tool_calls),
                Cause::Truncation => format!("{} generations stopped at the token limit", r.truncated),
                Cause::Errors => format!("{} failed generations", r.errors),
                Cause::Volume => format!("{} generations, {:.1}x the operation's median {:.0}", r.generations, r.generations as f64 / base.generations, base.generations),
            };
            (cause, text)
        })
        .collect()
}

/// Each cause over every row of `op`: traces showing it, their cost and share.
fn reach(op: &str, rows: &[Priced], base: &Baseline, premium: &[&str]) -> Vec<CauseReach> {
    let mut by_cause: BTreeMap<Cause, (u64, f64)> = BTreeMap::new();
    let mut total = 0.0;
    for &Priced { row, cost } in rows {
        total += cost;
        for cause in holds(row, base, premium) {
            let e = by_cause.entry(cause).or_default();
            e.0 += 1;
            e.1 += cost;
        }
    }
    let mut out: Vec<CauseReach> = by_cause
        .into_iter()
        .map(|(cause, (traces, cost_usd))| CauseReach { operation: op.to_string(), cause, traces, of: rows.len() as u64, cost_usd, share_of_operation: super::metrics::ratio(cost_usd, total) })
        .collect();
    crate::order::sort_by(&mut out, |a, b| b.cost_usd.total_cmp(&a.cost_usd).then(a.cause.cmp(&b.cause)));
    out
}

/// Diagnoses the outliers `selection` picked, and measures every cause over
/// all rows of the operations in `top` (and of those with outliers).
/// Outliers without a trace id are never diagnosed: there is no trace to cite.
pub fn compute(by_op: &ByOperation, costing: &Costing, selection: &Selection, top: &[String], total_cost: f64) -> RootCauses {
    let premium = premium_models(costing);
    let mut diagnoses = Vec::new();
    let mut population = Vec::new();
    let mut ops: Vec<&str> = top.iter().map(String::as_str).collect();
    ops.extend(selection.outliers.keys().map(String::as_str).filter(|op| !top.iter().any(|t| t == op)));
    for op in ops {
        let rows = by_op.rows(op);
        let base = baseline(rows);
        population.extend(reach(op, rows, &base, &premium));
        for id in selection.outliers.get(op).into_iter().flatten().filter(|id| !id.is_empty()) {
            let Some(&Priced { row: r, cost }) = by_op.find(op, id) else { continue };
            diagnoses.push(Diagnosis {
                trace_id: id.clone(),
                first_seen: r.first_seen,
                operation: op.to_string(),
                cost_usd: cost,
                times_median: if base.cost > 0.0 { cost / base.cost } else { 0.0 },
                causes: diagnose(r, &base, &premium),
            });
        }
    }
    crate::order::sort_by(&mut diagnoses, |a, b| b.cost_usd.total_cmp(&a.cost_usd).then(a.trace_id.cmp(&b.trace_id)));
    let mut by_cause: BTreeMap<Cause, CauseSummary> = BTreeMap::new();
    for d in &diagnoses {
        for (cause, _) in &d.causes {
            let s = by_cause.entry(*cause).or_insert(CauseSummary { cause: *cause, traces: 0, cost_usd: 0.0, share_of_spend: 0.0, operations: vec![] });
            s.traces += 1;
            s.cost_usd += d.cost_usd;
            if !s.operations.contains(&d.operation) {
                s.operations.push(d.operation.clone());
            }
        }
    }
    let mut summary: Vec<CauseSummary> = by_cause.into_values().map(|mut s| {
        s.share_of_spend = super::metrics::ratio(s.cost_usd, total_cost);
        crate::order::sort(&mut s.operations);
        s
    }).collect();
    crate::order::sort_by(&mut summary, |a, b| b.cost_usd.total_cmp(&a.cost_usd).then(a.cause.cmp(&b.cause)));
    RootCauses { diagnoses, summary, population }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::dataset::TokenSums;
    use crate::analysis::pricing::{ModelPrice, Resolution};

    fn row(trace: &str, input: u64, output: u64, generations: u64) -> TraceOpRow {
        TraceOpRow {
            trace_id: trace.into(),
            operation: "op".into(),
            cost_usd: input as f64 * 1e-6,
            generations,
            tokens: TokenSums { input, output, ..TokenSums::default() },
            models: vec!["cheap".into()],
            first_input_tokens: input / generations,
            last_input_tokens: input / generations,
            ..TraceOpRow::default()
        }
    }

    fn costing() -> Costing {
        let mut c = Costing::default();
        for (m, out) in [("cheap", 0.6e-6), ("premium", 15e-6)] {
            c.prices.insert((m.into(), "p".into()), Resolution { key: m.into(), rule: "exact".into(), price: ModelPrice { input: 1e-6, output: out, ..ModelPrice::default() } });
        }
        c
    }

    fn run(outliers: Vec<TraceOpRow>) -> RootCauses {
        let mut trace_ops: Vec<TraceOpRow> = (0..40).map(|i| row(&format!("n{i}"), 1000, 20, 1)).collect();
        let ids = outliers.iter().map(|r| r.trace_id.clone()).collect();
        trace_ops.extend(outliers);
        crate::analysis::dataset::sort_trace_ops(&mut trace_ops);
        let selection = Selection { outliers: [("op".to_string(), ids)].into(), sample: vec![] };
        let costing = costing();
        compute(&ByOperation::new(&trace_ops, &costing), &costing, &selection, &[], 100.0)
    }

    fn causes(r: &RootCauses, id: &str) -> Vec<Cause> {
        r.diagnoses.iter().find(|d| d.trace_id == id).unwrap().causes.iter().map(|(c, _)| *c).collect()
    }

    #[test]
    fn each_hypothesis_is_tested_with_numbers() {
        let bloat = row("bloat", 12_000, 20, 1);
        let storm = TraceOpRow { duplicate_inputs: 5, ..row("storm", 6_000, 120, 6) };
        let stuffed = TraceOpRow { first_input_tokens: 1000, last_input_tokens: 4000, ..row("stuffed", 12_500, 100, 5) };
        let misuse = TraceOpRow { models: vec!["premium".into()], cost_usd: 0.05, ..row("misuse", 1000, 20, 1) };
        let busy = row("busy", 5_000, 100, 5);
        let r = run(vec![bloat, storm, stuffed, misuse, busy]);
        assert_eq!(causes(&r, "bloat"), [Cause::PromptBloat]);
        assert_eq!(causes(&r, "storm"), [Cause::RetryStorm]);
        assert_eq!(causes(&r, "stuffed"), [Cause::ContextStuffing]);
        assert_eq!(causes(&r, "misuse"), [Cause::ModelMisuse]);
        assert_eq!(causes(&r, "busy"), [Cause::Volume], "nothing else explains it");
        let text = &r.diagnoses.iter().find(|d| d.trace_id == "bloat").unwrap().causes[0].1;
        assert!(text.contains("12000 input tokens") && text.contains("12.0x"), "{text}");
    }

    #[test]
    fn summary_adds_cost_and_share_per_cause() {
        let r = run(vec![row("b1", 12_000, 20, 1), row("b2", 9_000, 20, 1)]);
        let s = &r.summary[0];
        assert_eq!((s.cause, s.traces), (Cause::PromptBloat, 2));
        assert!((s.cost_usd - 0.021).abs() < 1e-12 && (s.share_of_spend - 0.00021).abs() < 1e-12);
        assert_eq!(r.diagnoses[0].trace_id, "b1", "most expensive first");
    }

    /// A growing row: `n` turns from `first` input tokens, `step` more each turn.
    fn growing(trace: &str, n: u64, first: u64, step: u64) -> TraceOpRow {
        let input: u64 = (0..n).map(|i| first + i * step).sum();
        TraceOpRow { first_input_tokens: first, last_input_tokens: first + (n - 1) * step, ..row(trace, input, 20 * n, n) }
    }

    #[test]
    fn growth_needs_more_turns_than_the_bound_real_increments_and_a_doubling() {
        let g = history_growth(&growing("g", 10, 1_000, 600)).expect("grows");
        // x_i = 1000 + 600 i: sum over i >= 4 of (x_{i-4} - x_0) = 600 * (0 + 1 + ... + 5).
        assert_eq!((g.turns, g.per_turn, g.saved_tokens), (10, 600.0, 600.0 * 15.0));
        assert!(history_growth(&growing("short", 4, 1_000, 2_000)).is_none(), "n <= K: the bound keeps every turn");
        assert!(history_growth(&growing("flat", 10, 1_000, 0)).is_none());
        assert!(history_growth(&growing("slow", 30, 1_000, 40)).is_none(), "40 tokens a turn is under the minimum increment");
        assert!(history_growth(&growing("small", 10, 10_000, 500)).is_none(), "the last prompt is not 1.5 times the first");
        let retries = TraceOpRow { duplicate_inputs: 6, ..growing("retry", 10, 1_000, 600) };
        assert!(history_growth(&retries).is_none(), "retries resend a turn and add none");
    }

    #[test]
    fn population_share_counts_every_row_of_the_operation() {
        // 40 ordinary traces at $0.001 each, 30 growing ones (not outliers: no cost among them stands out) and one bloated outlier.
        let mut trace_ops: Vec<TraceOpRow> = (0..40).map(|i| row(&format!("n{i:02}"), 1000, 20, 1)).collect();
        let grown: Vec<TraceOpRow> = (0..30).map(|i| growing(&format!("g{i:02}"), 6, 300, 120)).collect();
        trace_ops.extend(grown.iter().cloned());
        trace_ops.push(TraceOpRow { trace_id: String::new(), ..growing("", 6, 300, 120) });
        trace_ops.push(row("whale", 40_000, 20, 1));
        crate::analysis::dataset::sort_trace_ops(&mut trace_ops);
        let selection = Selection { outliers: [("op".to_string(), vec!["whale".to_string(), String::new()])].into(), sample: vec![] };
        let costing = costing();
        let by_op = ByOperation::new(&trace_ops, &costing);
        let r = compute(&by_op, &costing, &selection, &["op".to_string()], 100.0);
        assert!(r.diagnoses.iter().all(|d| !d.trace_id.is_empty()), "an empty id is never diagnosed");
        assert!(r.summary.iter().all(|s| s.cause != Cause::ContextStuffing), "no outlier shows the growth");
        let stuffing = r.population.iter().find(|c| c.cause == Cause::ContextStuffing).expect("found in the population");
        let total: f64 = trace_ops.iter().map(|t| t.cost_usd).sum();
        let grown_cost: f64 = trace_ops.iter().filter(|t| t.generations == 6).map(|t| t.cost_usd).sum();
        assert_eq!((stuffing.traces, stuffing.of), (31, 72), "the row without an id counts");
        assert!((stuffing.share_of_operation - grown_cost / total).abs() < 1e-12, "{} vs {}", stuffing.share_of_operation, grown_cost / total);
        assert!(stuffing.share_of_operation > 0.3, "{}", stuffing.share_of_operation);
    }
}
