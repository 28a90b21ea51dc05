//! Quality signals beside the cost: evaluation pass rates by evaluation,
//! operation and model (of the generation each judges), user feedback,
//! custom metrics, and embedding calls counted and priced apart from the
//! generations' spend.

use super::dataset::{SignalKind, SignalRow};
use crate::format::{count, pct};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Verdicts of one evaluation (or of feedback) over a scope: an evaluation
/// name, operation and model, any of them `""` for "all".
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PassRate {
    pub evaluation: String,
    pub operation: String,
    pub model: String,
    /// Events, with or without a verdict.
    pub runs: u64,
    pub passed: u64,
    pub failed: u64,
}

impl PassRate {
    /// Passes over verdicts; `None` when nothing was judged pass or fail.
    pub fn rate(&self) -> Option<f64> {
        let judged = self.passed + self.failed;
        (judged > 0).then(|| self.passed as f64 / judged as f64)
    }

    /// Runs without a verdict: not applicable, or a result that is neither.
    pub fn no_verdict(&self) -> u64 {
        self.runs.saturating_sub(self.passed + self.failed)
    }

    fn add(&mut self, r: &SignalRow) {
        self.runs += r.events;
        self.passed += r.passed;
        self.failed += r.failed;
    }
}

/// One custom metric (`$ai_metric`) over the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Metric {
    pub name: String,
    pub events: u64,
    /// Mean of its numeric values, when it has any.
    pub mean: Option<f64>,
    /// Values that were verdict words (`true`, `false` ...).
    pub passed: u64,
    pub failed: u64,
}

/// Embedding calls of one model.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct EmbeddingModel {
    pub model: String,
    pub provider: String,
    /// The operations (span names) that made them.
    pub operations: Vec<String>,
    pub calls: u64,
    pub input_tokens: u64,
    /// PostHog's recorded cost.
    pub cost_usd: f64,
    /// Calls PostHog recorded no cost for (counted as $0).
    pub unpriced: u64,
}

/// `$ai_embedding` calls: counted and priced apart from the generations.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Embeddings {
    pub calls: u64,
    pub input_tokens: u64,
    pub cost_usd: f64,
    pub unpriced: u64,
    /// Most expensive first, then by calls, then by name.
    pub by_model: Vec<EmbeddingModel>,
}

/// What the evaluations' judges cost: the LLM-as-a-judge calls PostHog
/// records on each `$ai_evaluation` event.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct JudgeSpend {
    pub events: u64,
    pub input_tokens: u64,
    pub cost_usd: f64,
}

/// Everything the quality signals say.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Signals {
    /// One row per evaluation over everything it judged; most runs first.
    pub evaluations: Vec<PassRate>,
    /// By evaluation and operation, then by evaluation and model, then by
    /// all three; each by evaluation, then operation, then model. Only the
    /// runs placed on a generation of the window.
    pub by_operation: Vec<PassRate>,
    pub by_model: Vec<PassRate>,
    pub cells: Vec<PassRate>,
    /// Evaluation runs whose generation is not in the window (no target in
    /// it and no trace with a generation in it).
    pub unplaced: u64,
    pub judges: JudgeSpend,
    /// User feedback over every trace, then by model of the generation it is
    /// placed on (its trace's last one, when it names no target).
    pub feedback: PassRate,
    pub feedback_by_model: Vec<PassRate>,
    pub metrics: Vec<Metric>,
    pub embeddings: Embeddings,
}

impl Signals {
    /// Whether any signal event was seen.
    pub fn is_empty(&self) -> bool {
        self.evaluations.is_empty() && self.feedback.runs == 0 && self.metrics.is_empty() && self.embeddings.calls == 0
    }

    /// `model`'s verdicts over every evaluation on `operation`; when none,
    /// over every operation it was judged on (the bool says whether they
    /// are on `operation`); `None` when no evaluation judged it with a verdict.
    pub fn model_pass_rate(&self, operation: &str, model: &str) -> Option<(PassRate, bool)> {
        let sum = |on_op: bool| {
            let mut total = PassRate { model: model.to_string(), operation: if on_op { operation.to_string() } else { String::new() }, ..PassRate::default() };
            let mut names: Vec<&str> = Vec::new();
            let mut ops: Vec<&str> = Vec::new();
            for c in self.cells.iter().filter(|c| c.model == model && (!on_op || c.operation == operation)) {
                total.runs += c.runs;
                total.passed += c.passed;
                total.failed += c.failed;
                names.push(&c.evaluation);
                ops.push(&c.operation);
            }
            crate::order::sort(&mut names);
            names.dedup();
            crate::order::sort(&mut ops);
            ops.dedup();
            total.evaluation = names.join(", ");
            if !on_op {
                total.operation = ops.join(", ");
            }
            total.rate().map(|_| total)
        };
        sum(true).map(|r| (r, true)).or_else(|| sum(false).map(|r| (r, false)))
    }

    /// A sentence for a model switch on `operation` from `current` to
    /// `candidate`: both models' pass rates where they exist, and which is
    /// missing when they do not.
    pub fn switch_note(&self, operation: &str, current: &str, candidate: &str) -> String {
        let said = |model: &str| {
            self.model_pass_rate(operation, model).map(|(r, on_op)| {
                let rate = pct(r.rate().unwrap_or(0.0));
                let judged = format!("{} of {} judged", count(r.passed), count(r.passed + r.failed));
                let scope = if on_op { format!("{} on {operation}", r.evaluation) } else { format!("{} on {}, not yet on {operation}", r.evaluation, r.operation) };
                format!("{model} passes {rate} ({judged}; {scope})")
            })
        };
        match (said(current), said(candidate)) {
            (Some(a), Some(b)) => format!("Evaluations: {a}; {b}."),
            (Some(a), None) => format!("Evaluations: {a}; no evaluation has judged {candidate} in this window, so run one on a sample of its answers before switching."),
            (None, Some(b)) => format!("Evaluations: none has judged {current} on this window's calls; {b}."),
            (None, None) => format!("No evaluation results for {current} or {candidate} in this window: score a sample of both models' answers (an `$ai_evaluation`, e.g. PostHog's LLM-as-a-judge) before switching."),
        }
    }
}

/// The signals of the query's rows.
pub fn compute(rows: &[SignalRow]) -> Signals {
    let mut s = Signals::default();
    let mut evaluations: BTreeMap<&str, PassRate> = BTreeMap::new();
    let mut by_op: BTreeMap<(&str, &str), PassRate> = BTreeMap::new();
    let mut by_model: BTreeMap<(&str, &str), PassRate> = BTreeMap::new();
    let mut cells: BTreeMap<(&str, &str, &str), PassRate> = BTreeMap::new();
    let mut feedback: BTreeMap<&str, PassRate> = BTreeMap::new();
    let mut metrics: BTreeMap<&str, (Metric, f64, u64)> = BTreeMap::new();
    let mut embeddings: BTreeMap<(&str, &str), EmbeddingModel> = BTreeMap::new();
    let rate = |evaluation: &str, operation: &str, model: &str| PassRate { evaluation: evaluation.to_string(), operation: operation.to_string(), model: model.to_string(), ..PassRate::default() };
    for r in rows {
        match r.kind {
            SignalKind::Evaluation => {
                evaluations.entry(&r.name).or_insert_with(|| rate(&r.name, "", "")).add(r);
                s.judges.events += r.events;
                s.judges.input_tokens += r.input_tokens;
                s.judges.cost_usd += r.cost_usd;
                if r.operation.is_empty() && r.model.is_empty() {
                    s.unplaced += r.events;
                    continue;
                }
                by_op.entry((&r.name, &r.operation)).or_insert_with(|| rate(&r.name, &r.operation, "")).add(r);
                by_model.entry((&r.name, &r.model)).or_insert_with(|| rate(&r.name, "", &r.model)).add(r);
                cells.entry((&r.name, &r.operation, &r.model)).or_insert_with(|| rate(&r.name, &r.operation, &r.model)).add(r);
            }
            SignalKind::Feedback => {
                s.feedback.add(r);
                feedback.entry(&r.model).or_insert_with(|| rate("", "", &r.model)).add(r);
            }
            SignalKind::Metric => {
                let (m, sum, valued) = metrics.entry(&r.name).or_insert_with(|| (Metric { name: r.name.clone(), ..Metric::default() }, 0.0, 0));
                m.events += r.events;
                m.passed += r.passed;
                m.failed += r.failed;
                *sum += r.value_sum;
                *valued += r.valued;
            }
            SignalKind::Embedding => {
                let e = embeddings.entry((&r.model, &r.provider)).or_insert_with(|| EmbeddingModel { model: r.model.clone(), provider: r.provider.clone(), ..EmbeddingModel::default() });
                if !e.operations.contains(&r.operation) {
                    e.operations.push(r.operation.clone());
                }
                e.calls += r.events;
                e.input_tokens += r.input_tokens;
                e.cost_usd += r.cost_usd;
                e.unpriced += r.unpriced;
            }
        }
    }
    s.evaluations = evaluations.into_values().collect();
    crate::order::sort_by(&mut s.evaluations, |a, b| b.runs.cmp(&a.runs).then_with(|| a.evaluation.cmp(&b.evaluation)));
    s.by_operation = by_op.into_values().collect();
    s.by_model = by_model.into_values().collect();
    s.cells = cells.into_values().collect();
    s.feedback_by_model = feedback.into_values().collect();
    s.metrics = metrics.into_values().map(|(mut m, sum, valued)| {
        m.mean = (valued > 0).then(|| sum / valued as f64);
        m
    }).collect();
    let mut by_model: Vec<EmbeddingModel> = embeddings.into_values().collect();
    crate::order::sort_by(&mut by_model, |a, b| b.cost_usd.total_cmp(&a.cost_usd).then(b.calls.cmp(&a.calls)).then_with(|| a.model.cmp(&b.model)));
    for m in &mut by_model {
        crate::order::sort(&mut m.operations);
        s.embeddings.calls += m.calls;
        s.embeddings.input_tokens += m.input_tokens;
        s.embeddings.cost_usd += m.cost_usd;
        s.embeddings.unpriced += m.unpriced;
    }
    s.embeddings.by_model = by_model;
    s
}

#[cfg(test)]
mod tests;
