//! Stage 8, recommendations: fixes found in the data, each with its savings
//! computed from the data (never estimated from a rule of thumb), evidence
//! of real traces, a code change in the user's SDK language, and a plan to
//! measure it. Ranked by impact x ease; never padded to reach the minimum.

mod code;
mod findings;
mod history_growth;
mod measure;

pub use code::{detect_language, Language};
pub use measure::{daily_series, hogql, validation_days, Daily, ValidationPeriod, CONFIDENCE_Z, POWER_Z};

use super::by_operation::ByOperation;
use super::dataset::Dataset;
use super::history::{Metric, PriorRecommendation, Status};
use super::pricing::PriceTable;
use super::Analysis;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// The kinds of fix the analysis can propose.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Kind {
    ModelDowngrade,
    PromptCaching,
    ContextTrimming,
    /// A multi-turn loop that re-sends its whole, growing history.
    HistoryGrowth,
    RetryDedupe,
    FailedCalls,
    Truncation,
}

impl Kind {
    /// The stable part of a recommendation id (`model_downgrade`).
    pub fn key(self) -> &'static str {
        match self {
            Kind::ModelDowngrade => "model_downgrade",
            Kind::PromptCaching => "prompt_caching",
            Kind::ContextTrimming => "context_trimming",
            Kind::HistoryGrowth => "history_growth",
            Kind::RetryDedupe => "retry_dedupe",
            Kind::FailedCalls => "failed_calls",
            Kind::Truncation => "truncation",
        }
    }

    /// How much work the fix is.
    pub fn effort(self) -> Effort {
        match self {
            Kind::ModelDowngrade | Kind::PromptCaching | Kind::Truncation => Effort::Low,
            Kind::RetryDedupe | Kind::FailedCalls | Kind::HistoryGrowth => Effort::Medium,
            Kind::ContextTrimming => Effort::High,
        }
    }
}

/// Work needed to ship a fix.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Effort {
    /// A parameter or a model name: minutes, one deploy.
    Low,
    /// New logic around the call (validation, retries): a day.
    Medium,
    /// Changing what the prompt holds: design and evaluation.
    High,
}

impl Effort {
    /// The ease factor of impact x ease.
    pub fn ease(self) -> f64 {
        match self {
            Effort::Low => 1.0,
            Effort::Medium => 0.6,
            Effort::High => 0.35,
        }
    }

    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Effort::Low => "low",
            Effort::Medium => "medium",
            Effort::High => "high",
        }
    }
}

/// One trace showing the problem.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct EvidenceTrace {
    pub trace_id: String,
    #[serde(with = "crate::time::instant")]
    pub first_seen: DateTime<Utc>,
    /// The trace's cost within the operation.
    pub cost_usd: f64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// What is wrong in this trace, with its numbers.
    pub issue: String,
}

/// A prompt or output excerpt of an evidence trace (hostile text).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Excerpt {
    pub trace_id: String,
    pub text: String,
}

/// How to check that the fix worked.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Measurement {
    /// What is measured (`cost per call of draft_answer`).
    pub label: String,
    /// The metric a follow-up analysis recomputes, when the product has one.
    pub metric: Option<Metric>,
    pub baseline: f64,
    pub target: f64,
    pub validation: ValidationPeriod,
    /// A HogQL query for PostHog's SQL editor: the metric by UTC day from the window's first complete day ([`hogql`]).
    pub hogql: String,
}

/// One recommendation with PRODUCT.md's five parts.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Recommendation {
    /// `{kind}:{operation}`, stable across runs (history keys on it).
    pub id: String,
    pub kind: Kind,
    pub operation: String,
    pub title: String,
    /// 1. The problem, with its numbers.
    pub problem: String,
    /// 2. Why it matters (money, share of spend, quality risk).
    pub why: String,
    /// 3. Evidence: the worst traces, and an excerpt when one was read.
    pub evidence: Vec<EvidenceTrace>,
    pub excerpt: Option<Excerpt>,
    /// 4. The fix in words, and as before/after code.
    pub fix: String,
    pub code_before: String,
    pub code_after: String,
    /// 5. How to measure success.
    pub measurement: Measurement,
    /// Savings over the analysed window and scaled to 30 days (USD).
    pub savings_usd: f64,
    pub monthly_savings_usd: f64,
    pub share_of_spend: f64,
    /// For quality fixes: monthly spend on calls whose result is unusable.
    pub monthly_at_risk_usd: f64,
    pub effort: Effort,
    /// Impact x ease: (monthly savings + monthly spend at risk) x ease.
    pub score: f64,
}

/// One line of the Implementation Roadmap.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct RoadmapStep {
    /// The recommendation's priority (1 = first in the Recommendations section).
    pub priority: usize,
    pub id: String,
    pub title: String,
    pub effort: Effort,
    pub monthly_savings_usd: f64,
    pub validation_days: u32,
    /// `quick win` (low effort) or `larger change`.
    pub phase: String,
}

/// Stage 8's result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Recommendations {
    /// Highest score first; priority N is `items[N - 1]`.
    pub items: Vec<Recommendation>,
    /// Quick wins first, then larger changes, each by score.
    pub roadmap: Vec<RoadmapStep>,
    pub language: Language,
    /// Whether the language came from the SDK names (else Python by default).
    pub language_detected: bool,
    /// Recommendations asked for at least.
    pub min_wanted: usize,
    /// Set when fewer were found than asked for: why none were invented.
    pub shortfall: Option<String>,
    pub savings_usd: f64,
    pub monthly_savings_usd: f64,
}

impl Recommendation {
    /// The record a follow-up analysis checks (`analysis.json`).
    pub fn prior(&self) -> PriorRecommendation {
        let m = &self.measurement;
        PriorRecommendation { id: self.id.clone(), title: self.title.clone(), status: Status::Open, metric: m.metric.clone(), baseline: Some(m.baseline), target: Some(m.target), on: None, reason: String::new() }
    }
}

/// Computes stage 8 from the dataset, its rows by operation, and the
/// analysis so far (pricing, metrics, failure modes, settings). `prices` finds cheaper models the
/// project does not use yet; `settled` holds the ids the user marked shipped
/// or rejected in a prior analysis ([`super::history::History::settled`]),
/// which are not proposed again.
pub fn compute(data: &Dataset, by_op: &ByOperation, a: &Analysis, prices: &PriceTable, settled: &[(String, Status)]) -> Recommendations {
    let (language, language_detected) = detect_language(&a.overview.libs);
    let ctx = findings::Context::new(data, by_op, a, prices, language);
    let history = history_growth::history_growth(&ctx);
    let trimming = findings::context_trimming(&ctx, &history);
    let mut items: Vec<Recommendation> = [findings::model_downgrades(&ctx), findings::prompt_caching(&ctx), trimming, history, findings::retry_dedupe(&ctx), findings::failed_calls(&ctx), findings::truncation(&ctx)]
        .into_iter()
        .flatten()
        .filter(|r| !settled.iter().any(|(id, _)| *id == r.id))
        .collect();
    crate::order::sort_by(&mut items, |x, y| y.score.total_cmp(&x.score).then_with(|| x.id.cmp(&y.id)));
    let savings_usd: f64 = items.iter().map(|r| r.savings_usd).sum();
    let min_wanted = a.settings.min_recommendations;
    let shortfall = (items.len() < min_wanted).then(|| {
        format!(
            "{} recommendation{} found where at least {min_wanted} were asked for: the data shows no {}problem worth fixing, and none is invented to fill the list.",
            items.len(),
            if items.len() == 1 { " was" } else { "s were" },
            if items.is_empty() { "" } else { "other " }
        )
    });
    Recommendations { roadmap: roadmap(&items), items, language, language_detected, min_wanted, shortfall, monthly_savings_usd: a.monthly(savings_usd), savings_usd }
}

/// Quick wins (low effort) first, then larger changes; by score within each.
pub fn roadmap(items: &[Recommendation]) -> Vec<RoadmapStep> {
    let mut steps: Vec<RoadmapStep> = items
        .iter()
        .enumerate()
        .map(|(i, r)| RoadmapStep {
            priority: i + 1,
            id: r.id.clone(),
            title: r.title.clone(),
            effort: r.effort,
            monthly_savings_usd: r.monthly_savings_usd,
            validation_days: r.measurement.validation.days,
            phase: if r.effort == Effort::Low { "quick win" } else { "larger change" }.into(),
        })
        .collect();
    crate::order::sort_by_key(&mut steps, |s| (s.effort, s.priority));
    steps
}

#[cfg(test)]
mod tests;
