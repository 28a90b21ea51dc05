//! The analysis core: plain Rust, no browser APIs. It turns the query plan's
//! compact rows ([`dataset::Dataset`]) into findings, stage by stage.

pub mod dataset;
pub mod failures;
pub mod history;
pub mod links;
pub mod metrics;
pub mod pricing;
pub mod qualitative;
pub mod recommend;
pub mod root_causes;
pub mod select;
pub mod stats;
pub mod variance;

use dataset::{Dataset, Overview, Window};
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
}

impl Default for Settings {
    fn default() -> Self {
        Settings { window_days: 30, top_n: 5, sample_size: 15, min_recommendations: 3 }
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
    pub metrics: metrics::Metrics,
}

impl Analysis {
    /// Scales a cost over the window to 30 days.
    pub fn monthly(&self, window_cost: f64) -> f64 {
        window_cost / self.window.days().max(1.0 / 24.0) * 30.0
    }
}

/// Runs every stage on `data`, pricing with `prices`.
pub fn analyze(data: &Dataset, settings: &Settings, origin: &Origin, prices: &pricing::PriceTable) -> Analysis {
    let (costing, pricing) = pricing::price_rollup(prices, &data.rollup);
    let metrics = metrics::compute(data, &costing);
    Analysis { settings: settings.clone(), origin: origin.clone(), window: data.window, overview: data.overview.clone(), costing, pricing, metrics }
}
