//! Stage 10, the report files, written from an [`crate::analysis::Analysis`].
//! Plain text out, deterministic for the same analysis.

pub mod bundle;
mod csv_files;
pub mod fixes;
pub mod format;
pub mod markdown;
mod recommendations;

pub use recommendations::recommendations_md;

use crate::analysis::Analysis;

/// One file of the results bundle.
#[derive(Clone, Debug, PartialEq)]
pub struct ReportFile {
    /// Path inside the bundle (`recommendations.md`, `data/...`).
    pub path: &'static str,
    pub content: String,
}

/// Every file of the results bundle, in a fixed order.
pub fn files(a: &Analysis) -> Vec<ReportFile> {
    vec![
        ReportFile { path: "recommendations.md", content: recommendations_md(a) },
        ReportFile { path: "data/metrics_by_span.csv", content: csv_files::metrics_by_span(&a.metrics) },
        ReportFile { path: "data/metrics_by_model.csv", content: csv_files::metrics_by_model(&a.metrics) },
        ReportFile { path: "data/model_pricing.json", content: crate::analysis::pricing::model_pricing_json(&a.pricing) },
    ]
}
