//! Stage 9, history: what changed since a prior analysis. Fixes the user
//! marked shipped or rejected are not proposed again, each prior target is
//! checked against today's numbers (hit or miss), and operations that got
//! worse are flagged as regressions.
//!
//! The prior analysis is the `analysis.json` of an earlier results bundle
//! ([`FollowUp`]); it holds numbers and decisions, never trace content.

use super::metrics::GroupMetrics;
use super::Analysis;
use serde::{Deserialize, Serialize};

/// A number the product can recompute from any analysis, so a target set
/// today can be checked next time. Lower is better for all of them.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", from = "TaggedMetric")]
pub enum Metric {
    /// Average cost per call of an operation (USD).
    CostPerCall { operation: String },
    /// Share of an operation's calls that failed.
    ErrorRate { operation: String },
    /// Average input tokens per call of an operation.
    InputTokensPerCall { operation: String },
    /// 95th percentile latency of an operation (seconds).
    P95Latency { operation: String },
    /// An operation's cost scaled to 30 days (USD).
    MonthlyCost { operation: String },
    /// Share of an operation's calls stopped by the token limit.
    TruncationRate { operation: String },
}

/// [`Metric`] as `analysis.json` writes it, read as a plain struct: the same
/// JSON as serde's internally tagged enum, with a fraction of its code.
#[derive(Deserialize)]
struct TaggedMetric {
    kind: MetricKind,
    operation: String,
}

#[derive(Deserialize)]
#[serde(rename_all = "snake_case")]
enum MetricKind {
    CostPerCall,
    ErrorRate,
    InputTokensPerCall,
    P95Latency,
    MonthlyCost,
    TruncationRate,
}

impl From<TaggedMetric> for Metric {
    fn from(TaggedMetric { kind, operation }: TaggedMetric) -> Self {
        match kind {
            MetricKind::CostPerCall => Metric::CostPerCall { operation },
            MetricKind::ErrorRate => Metric::ErrorRate { operation },
            MetricKind::InputTokensPerCall => Metric::InputTokensPerCall { operation },
            MetricKind::P95Latency => Metric::P95Latency { operation },
            MetricKind::MonthlyCost => Metric::MonthlyCost { operation },
            MetricKind::TruncationRate => Metric::TruncationRate { operation },
        }
    }
}

impl Metric {
    /// The operation the metric is about.
    pub fn operation(&self) -> &str {
        match self {
            Metric::CostPerCall { operation }
            | Metric::ErrorRate { operation }
            | Metric::InputTokensPerCall { operation }
            | Metric::P95Latency { operation }
            | Metric::MonthlyCost { operation }
            | Metric::TruncationRate { operation } => operation,
        }
    }

    /// The metric's value in `a`, if the operation is there.
    pub fn value(&self, a: &Analysis) -> Option<f64> {
        let g = operation(a, self.operation());
        let t = || g.map(|g| &g.totals);
        Some(match self {
            Metric::CostPerCall { .. } => t()?.avg_cost(),
            Metric::ErrorRate { .. } => t()?.error_rate(),
            Metric::InputTokensPerCall { .. } => super::metrics::ratio(t()?.tokens.input as f64, t()?.calls as f64),
            Metric::P95Latency { .. } => g?.p95_latency_s,
            Metric::MonthlyCost { .. } => a.monthly(t()?.cost_usd),
            Metric::TruncationRate { operation } => a.failures.outputs.iter().find(|h| &h.operation == operation)?.truncation_rate(),
        })
    }

    /// What is measured, without the operation (`cost per call`).
    pub fn what(&self) -> &'static str {
        match self {
            Metric::CostPerCall { .. } => "cost per call",
            Metric::ErrorRate { .. } => "error rate",
            Metric::InputTokensPerCall { .. } => "input tokens per call",
            Metric::P95Latency { .. } => "p95 latency",
            Metric::MonthlyCost { .. } => "monthly cost",
            Metric::TruncationRate { .. } => "truncation rate",
        }
    }

    /// A value of the metric in its unit (`$0.0042`, `12.5%`, `1.20 s`).
    pub fn show(&self, x: f64) -> String {
        use crate::format::{count, pct, secs, usd};
        match self {
            Metric::CostPerCall { .. } | Metric::MonthlyCost { .. } => usd(x),
            Metric::InputTokensPerCall { .. } => count(x.round() as u64),
            Metric::P95Latency { .. } => secs(x),
            Metric::ErrorRate { .. } | Metric::TruncationRate { .. } => pct(x),
        }
    }

    /// A label for tables (`cost per call of draft_answer`).
    pub fn label(&self) -> String {
        format!("{} of {}", self.what(), self.operation())
    }
}

fn operation<'a>(a: &'a Analysis, name: &str) -> Option<&'a GroupMetrics> {
    a.metrics.by_operation.iter().find(|g| g.name == name)
}

/// What the user decided about a recommendation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Status {
    #[default]
    Open,
    Shipped,
    Rejected,
    /// Put off until a day ([`PriorRecommendation::on`]); proposed again meanwhile, shown as snoozed.
    Snoozed,
}

impl Status {
    /// Whether the fix is decided for good (shipped or rejected): not proposed again.
    pub fn settles(self) -> bool {
        matches!(self, Status::Shipped | Status::Rejected)
    }

    /// The word the page and the report use.
    pub fn label(self) -> &'static str {
        match self {
            Status::Open => "open",
            Status::Shipped => "shipped",
            Status::Rejected => "rejected",
            Status::Snoozed => "snoozed",
        }
    }
}

/// A reader's decision on one recommendation of this analysis, made in the
/// page; `analysis.json` carries it to the next run.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Mark {
    /// The recommendation's id.
    pub id: String,
    pub status: Status,
    /// The day the fix shipped, or the day a snooze ends.
    #[serde(with = "crate::time::date_opt", default)]
    pub on: Option<chrono::NaiveDate>,
    /// Why the fix was rejected.
    #[serde(default)]
    pub reason: String,
}

/// A recommendation as the follow-up file keeps it.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PriorRecommendation {
    /// Stable across runs: the kind of fix and the operation it applies to.
    pub id: String,
    pub title: String,
    #[serde(default)]
    pub status: Status,
    pub metric: Option<Metric>,
    #[serde(default)]
    pub baseline: Option<f64>,
    #[serde(default)]
    pub target: Option<f64>,
    /// The day the fix shipped, or the day a snooze ends.
    #[serde(with = "crate::time::date_opt", default, skip_serializing_if = "Option::is_none")]
    pub on: Option<chrono::NaiveDate>,
    /// Why the fix was rejected.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub reason: String,
}

impl PriorRecommendation {
    /// The record with the reader's decision on it, if any.
    pub fn marked(self, mark: Option<&Mark>) -> Self {
        match mark {
            Some(m) => PriorRecommendation { status: m.status, on: m.on, reason: m.reason.clone(), ..self },
            None => self,
        }
    }
}

/// One operation's numbers, kept for regression checks.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationSnapshot {
    pub operation: String,
    pub calls: u64,
    pub cost_per_call: f64,
    pub error_rate: f64,
    pub p95_latency_s: f64,
}

/// `analysis.json`: what a later run needs to follow up on this one.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct FollowUp {
    /// `trace-optimizer/analysis@1`.
    pub format: String,
    pub source: String,
    #[serde(with = "crate::time::instant")]
    pub window_start: chrono::DateTime<chrono::Utc>,
    #[serde(with = "crate::time::instant")]
    pub window_end: chrono::DateTime<chrono::Utc>,
    pub generations: u64,
    pub cost_usd: f64,
    pub operations: Vec<OperationSnapshot>,
    pub recommendations: Vec<PriorRecommendation>,
}

/// The format tag of [`FollowUp`].
pub const FORMAT: &str = "trace-optimizer/analysis@1";

impl FollowUp {
    /// The follow-up record of `a`, with its recommendations.
    pub fn of(a: &Analysis, recommendations: Vec<PriorRecommendation>) -> Self {
        FollowUp {
            format: FORMAT.into(),
            source: a.origin.label.clone(),
            window_start: a.window.start,
            window_end: a.window.end,
            generations: a.metrics.totals.calls,
            cost_usd: a.metrics.totals.cost_usd,
            operations: a
                .metrics
                .by_operation
                .iter()
                .map(|g| OperationSnapshot {
                    operation: g.name.clone(),
                    calls: g.totals.calls,
                    cost_per_call: g.totals.avg_cost(),
                    error_rate: g.totals.error_rate(),
                    p95_latency_s: g.p95_latency_s,
                })
                .collect(),
            recommendations,
        }
    }

    /// Reads an `analysis.json`, refusing other files with a clear message.
    pub fn parse(json: &str) -> Result<Self, String> {
        let f: FollowUp = serde_json::from_str(json).map_err(|e| format!("not a Trace Optimizer analysis.json: {e}"))?;
        if f.format != FORMAT {
            return Err(format!("analysis.json of an unknown format `{}` (expected {FORMAT})", f.format));
        }
        Ok(f)
    }
}

/// A prior target checked against today.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TargetCheck {
    pub id: String,
    pub title: String,
    pub metric: Metric,
    pub baseline: f64,
    pub target: f64,
    /// `None` when the operation no longer appears.
    pub current: Option<f64>,
    pub hit: bool,
}

/// An operation that got worse since the prior analysis.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Regression {
    pub metric: Metric,
    pub before: f64,
    pub now: f64,
}

/// Stage 9's result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct History {
    /// Whether there was a prior analysis at all.
    pub has_prior: bool,
    #[serde(with = "crate::time::instant_opt", default)]
    pub prior_window_end: Option<chrono::DateTime<chrono::Utc>>,
    /// Recommendations not to propose again (shipped or rejected), as the prior file had them.
    pub settled: Vec<PriorRecommendation>,
    pub targets: Vec<TargetCheck>,
    pub regressions: Vec<Regression>,
    /// The reader's decisions on this analysis's recommendations: snoozes
    /// carried over from the prior analysis that have not ended, then what
    /// the reader marks in the page.
    #[serde(default)]
    pub marks: Vec<Mark>,
}

impl History {
    /// The reader's decision on recommendation `id`, if any.
    pub fn mark(&self, id: &str) -> Option<&Mark> {
        self.marks.iter().find(|m| m.id == id)
    }

    /// The history with `mark` replacing any earlier decision on its
    /// recommendation; an open mark withdraws the decision.
    pub fn with_mark(&self, mark: Mark) -> History {
        let mut h = self.clone();
        h.marks.retain(|m| m.id != mark.id);
        if mark.status != Status::Open {
            h.marks.push(mark);
        }
        h
    }

    /// Whether the prior analysis settled recommendation `id` (shipped or rejected).
    pub fn is_settled(&self, id: &str) -> bool {
        self.settled.iter().any(|r| r.id == id)
    }
}

/// Regression thresholds: relative rise and, for rates, an absolute floor,
/// so noise on small numbers is not called a regression.
pub const COST_PER_CALL_RISE: f64 = 0.20;
pub const ERROR_RATE_RISE_POINTS: f64 = 0.01;
pub const ERROR_RATE_RISE: f64 = 0.50;
pub const LATENCY_RISE: f64 = 0.30;
/// Operations with fewer calls than this in either window are not compared.
pub const MIN_CALLS: u64 = 50;

/// Compares `current` with `prior`.
pub fn compare(prior: Option<&FollowUp>, current: &Analysis) -> History {
    let Some(prior) = prior else { return History::default() };
    let settled = prior.recommendations.iter().filter(|r| r.status.settles()).cloned().collect();
    let end = current.window.end.date_naive();
    let marks = prior
        .recommendations
        .iter()
        .filter(|r| r.status == Status::Snoozed && r.on.is_some_and(|on| on > end))
        .map(|r| Mark { id: r.id.clone(), status: r.status, on: r.on, reason: r.reason.clone() })
        .collect();
    let targets = prior
        .recommendations
        .iter()
        .filter(|r| r.status != Status::Rejected)
        .filter_map(|r| {
            let (metric, baseline, target) = (r.metric.clone()?, r.baseline?, r.target?);
            let current_value = metric.value(current);
            Some(TargetCheck { id: r.id.clone(), title: r.title.clone(), hit: current_value.is_some_and(|v| v <= target), current: current_value, metric, baseline, target })
        })
        .collect();
    let mut regressions = Vec::new();
    for before in &prior.operations {
        let Some(now) = operation(current, &before.operation) else { continue };
        if before.calls < MIN_CALLS || now.totals.calls < MIN_CALLS {
            continue;
        }
        let operation = before.operation.clone();
        let mut flag = |metric: Metric, b: f64, n: f64, worse: bool| {
            if worse {
                regressions.push(Regression { metric, before: b, now: n });
            }
        };
        let (cpc, err, p95) = (now.totals.avg_cost(), now.totals.error_rate(), now.p95_latency_s);
        flag(Metric::CostPerCall { operation: operation.clone() }, before.cost_per_call, cpc, cpc > before.cost_per_call * (1.0 + COST_PER_CALL_RISE));
        flag(Metric::ErrorRate { operation: operation.clone() }, before.error_rate, err, err > before.error_rate + ERROR_RATE_RISE_POINTS && err > before.error_rate * (1.0 + ERROR_RATE_RISE));
        flag(Metric::P95Latency { operation }, before.p95_latency_s, p95, p95 > before.p95_latency_s * (1.0 + LATENCY_RISE));
    }
    History { has_prior: true, prior_window_end: Some(prior.window_end), settled, targets, regressions, marks }
}

#[cfg(test)]
mod tests;
