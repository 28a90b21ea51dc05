//! Stage 5, root causes: each outlier trace's generations tested against
//! the usual suspects, with numbers. A hypothesis holds when its measure
//! passes the threshold named beside it; several can hold at once.

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
/// Context stuffing: the last input at least this many times the first, over 3+ generations.
pub const STUFFING_GROWTH: f64 = 2.0;
/// Tool loop: at least this many generations ending in a tool call.
pub const TOOL_LOOP_CALLS: u64 = 5;
/// Volume: at least this many times the operation's median generations per trace.
pub const VOLUME_FACTOR: f64 = 2.0;

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

/// Stage 5's result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct RootCauses {
    /// Most expensive first.
    pub diagnoses: Vec<Diagnosis>,
    /// Most costly cause first.
    pub summary: Vec<CauseSummary>,
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

/// Tests every hypothesis on one outlier row.
fn diagnose(r: &TraceOpRow, base: &Baseline, costing: &Costing) -> Vec<(Cause, String)> {
    let mut causes = Vec::new();
    let n = r.generations.max(1) as f64;
    let input = r.tokens.input as f64 / n;
    if base.input_per_generation > 0.0 && input >= BLOAT_FACTOR * base.input_per_generation {
        causes.push((Cause::PromptBloat, format!("{:.0} input tokens per generation, {:.1}x the operation's median {:.0}", input, input / base.input_per_generation, base.input_per_generation)));
    }
    let premium = r.models.iter().find(|m| costing.prices.iter().any(|((model, _), res)| model == *m && res.price.output * 1e6 >= PREMIUM_OUTPUT_PER_M));
    if let Some(model) = premium {
        if base.output_per_generation <= SHORT_OUTPUT_TOKENS {
            causes.push((Cause::ModelMisuse, format!("{model} (output at ${PREMIUM_OUTPUT_PER_M:.0}+ per 1M tokens) where the median output is {:.0} tokens", base.output_per_generation)));
        }
    }
    if r.duplicate_inputs >= RETRY_DUPLICATES {
        causes.push((Cause::RetryStorm, format!("{} of {} generations repeat an earlier input exactly", r.duplicate_inputs, r.generations)));
    }
    if r.generations >= 3 && r.first_input_tokens > 0 && r.last_input_tokens as f64 >= STUFFING_GROWTH * r.first_input_tokens as f64 {
        causes.push((Cause::ContextStuffing, format!("input grew from {} to {} tokens over {} generations", r.first_input_tokens, r.last_input_tokens, r.generations)));
    }
    if r.tool_calls >= TOOL_LOOP_CALLS {
        causes.push((Cause::ToolLoop, format!("{} generations ended asking for a tool", r.tool_calls)));
    }
    if r.truncated > 0 {
        causes.push((Cause::Truncation, format!("{} generations stopped at the token limit", r.truncated)));
    }
    if r.errors > 0 {
        causes.push((Cause::Errors, format!("{} failed generations", r.errors)));
    }
    if causes.is_empty() && base.generations > 0.0 && r.generations as f64 >= VOLUME_FACTOR * base.generations {
        causes.push((Cause::Volume, format!("{} generations, {:.1}x the operation's median {:.0}", r.generations, r.generations as f64 / base.generations, base.generations)));
    }
    causes
}

/// Diagnoses the outliers `selection` picked.
pub fn compute(by_op: &ByOperation, costing: &Costing, selection: &Selection, total_cost: f64) -> RootCauses {
    let mut diagnoses = Vec::new();
    for (op, ids) in &selection.outliers {
        let rows = by_op.rows(op);
        let base = baseline(rows);
        for id in ids {
            let Some(&Priced { row: r, cost }) = by_op.find(op, id) else { continue };
            diagnoses.push(Diagnosis {
                trace_id: id.clone(),
                first_seen: r.first_seen,
                operation: op.clone(),
                cost_usd: cost,
                times_median: if base.cost > 0.0 { cost / base.cost } else { 0.0 },
                causes: diagnose(r, &base, costing),
            });
        }
    }
    diagnoses.sort_by(|a, b| b.cost_usd.total_cmp(&a.cost_usd).then(a.trace_id.cmp(&b.trace_id)));
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
        s.operations.sort();
        s
    }).collect();
    summary.sort_by(|a, b| b.cost_usd.total_cmp(&a.cost_usd).then(a.cause.cmp(&b.cause)));
    RootCauses { diagnoses, summary }
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
        compute(&ByOperation::new(&trace_ops, &costing), &costing, &selection, 100.0)
    }

    fn causes(r: &RootCauses, id: &str) -> Vec<Cause> {
        r.diagnoses.iter().find(|d| d.trace_id == id).unwrap().causes.iter().map(|(c, _)| *c).collect()
    }

    #[test]
    fn each_hypothesis_is_tested_with_numbers() {
        let bloat = row("bloat", 12_000, 20, 1);
        let storm = TraceOpRow { duplicate_inputs: 5, ..row("storm", 6_000, 120, 6) };
        let stuffed = TraceOpRow { first_input_tokens: 1000, last_input_tokens: 4000, ..row("stuffed", 7_500, 60, 3) };
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
}
