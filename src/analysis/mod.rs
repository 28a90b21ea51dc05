//! The analysis core: plain Rust, no browser APIs. It turns the query plan's
//! compact rows ([`dataset::Dataset`]) into findings, stage by stage.

pub mod by_operation;
pub mod changes;
pub mod dataset;
pub mod failures;
pub mod history;
pub mod links;
pub mod metrics;
pub mod pricing;
pub mod qualitative;
pub mod recommend;
pub mod root_causes;
pub mod segments;
pub mod select;
pub mod signals;
pub mod stats;
pub mod trace_tree;
pub mod variance;
pub mod what_if;

use dataset::{Dataset, Overview, Sampling, Window};
use serde::{Deserialize, Serialize};

/// What the user asked for (PRODUCT.md, "Inputs").
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Settings {
    pub window_days: u32,
    /// Operations deep-dived for cost variance.
    pub top_n: usize,
    /// Traces read qualitatively.
    pub sample_size: usize,
    /// Recommendations wanted at least (never filled with invented findings).
    pub min_recommendations: usize,
    /// Properties broken down in the segments (`--segment`); empty picks
    /// them by [`segments::compute`]'s rule.
    #[serde(default)]
    pub segments: Vec<String>,
}

impl Default for Settings {
    fn default() -> Self {
        Settings { window_days: 30, top_n: 5, sample_size: 15, min_recommendations: 3, segments: Vec::new() }
    }
}

/// Where the data came from, for links back into PostHog.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Origin {
    /// A label for the report (`PostHog project 123`, `Demo project`).
    pub label: String,
    /// PostHog host and project, when the data came from PostHog.
    pub posthog: Option<(String, String)>,
}

/// Everything the analysis found.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Analysis {
    pub settings: Settings,
    pub origin: Origin,
    pub window: Window,
    pub overview: Overview,
    pub costing: pricing::Costing,
    pub pricing: pricing::PricingReport,
    /// PostHog's recorded cost against the cost recomputed from tokens and prices.
    #[serde(default)]
    pub audit: pricing::audit::CostAudit,
    pub metrics: metrics::Metrics,
    /// How the per-trace rows were sampled, when the project was too large to read whole.
    pub sampling: Option<Sampling>,
    /// Stage 4: per-trace cost distributions of the top operations.
    pub variance: variance::Variance,
    /// Stage 5: what explains the outlier traces.
    pub root_causes: root_causes::RootCauses,
    /// Stage 6: errors, rate limits, timeouts, truncation, empty outputs.
    pub failures: failures::Failures,
    /// Stage 7: the tagged qualitative sample.
    pub qualitative: qualitative::Qualitative,
    /// Stage 9: what changed since the prior analysis, if one was given.
    pub history: history::History,
    /// Stage 8: the ranked fixes (settled ones left out).
    pub recommendations: recommend::Recommendations,
    /// When each cited trace starts and ends, for its link into PostHog.
    #[serde(default)]
    pub trace_times: links::TraceTimes,
    /// Sustained changes of cost per call or per trace, and their drivers.
    #[serde(default)]
    pub changes: changes::Changes,
    /// Evaluations, feedback, metrics and embedding spend.
    #[serde(default)]
    pub signals: signals::Signals,
    /// Spend by user and by property value.
    #[serde(default)]
    pub segments: segments::Segments,
}

impl Analysis {
    /// Scales a cost over the window to 30 days.
    pub fn monthly(&self, window_cost: f64) -> f64 {
        window_cost / self.window.days().max(1.0 / 24.0) * 30.0
    }
}

/// Runs every stage on `data`, pricing with `prices`, as a first analysis.
pub fn analyze(data: &Dataset, settings: &Settings, origin: &Origin, prices: &pricing::PriceTable) -> Analysis {
    analyze_following(data, settings, origin, prices, None)
}

/// Runs every stage on `data`, following up on `prior` (the `analysis.json`
/// of an earlier results bundle) when given.
pub fn analyze_following(data: &Dataset, settings: &Settings, origin: &Origin, prices: &pricing::PriceTable, prior: Option<&history::FollowUp>) -> Analysis {
    let (mut costing, pricing) = pricing::price_rollup(prices, &data.rollup);
    let audit = pricing::audit::audit(&data.rollup, &costing);
    costing.audit_factors = audit.factors();
    let metrics = metrics::compute(data, &costing);
    let by_op = by_operation::ByOperation::new(&data.trace_ops, &costing);
    let selection = select::select(&data.rollup, &by_op, &data.trace_ops, settings);
    let top: Vec<String> = metrics.by_operation.iter().take(settings.top_n).map(|g| g.name.clone()).collect();
    let variance = variance::compute(&by_op, &top);
    let root_causes = root_causes::compute(&by_op, &costing, &selection, &top, metrics.totals.cost_usd);
    let failures = failures::compute(data, &by_op, &metrics);
    let qualitative = qualitative::compute(data, &by_op, &costing, &selection);
    let changes = changes::compute(data, &costing);
    let mut a = Analysis {
        settings: settings.clone(),
        origin: origin.clone(),
        window: data.window,
        overview: data.overview.clone(),
        costing,
        pricing,
        audit,
        metrics,
        sampling: data.sampling.clone(),
        variance,
        root_causes,
        failures,
        qualitative,
        history: history::History::default(),
        recommendations: recommend::Recommendations::default(),
        trace_times: links::TraceTimes::default(),
        changes,
        signals: signals::compute(&data.signals),
        segments: segments::compute(&data.segments, &settings.segments),
    };
    a.history = history::compare(prior, &a);
    let settled: Vec<(String, history::Status)> = a.history.settled.iter().map(|r| (r.id.clone(), r.status)).collect();
    a.recommendations = recommend::compute(data, &by_op, &a, prices, &settled);
    a.trace_times = links::TraceTimes::cited(data, &a);
    a
}
