//! Stage 10, the report files, written from an [`crate::analysis::Analysis`].
//! Plain text out, deterministic for the same analysis.

mod appendix;
pub mod bundle;
pub mod cost_audit;
mod csv_files;
pub mod data_quality;
mod failure_modes;
mod fixes;
pub mod follow_up;
mod history_notes;
mod html;
mod investigation;
mod json_files;
pub mod markdown;
mod qualitative_findings;
pub mod quality_signals;
mod recommendations;
pub mod segments;
mod summary;
pub mod validation;
pub mod what_changed;

pub use recommendations::recommendations_md;
pub use summary::summary_md;

/// The report's sections, in order (PRODUCT.md, stage 10).
pub const SECTIONS: [&str; 11] = [
    "Executive Summary",
    "Cost Analysis",
    "High-Variance Investigation",
    "Failure-Mode Analysis",
    "Data Quality",
    "What Changed",
    "Cost Audit",
    "Qualitative Findings",
    "Recommendations",
    "Implementation Roadmap",
    "Appendix",
];

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
        ReportFile { path: "summary.md", content: summary::summary_md(a) },
        ReportFile { path: "validation_report.json", content: validation::validation_json(a) },
        ReportFile { path: "analysis.json", content: follow_up::analysis_json(a) },
        ReportFile { path: "data/metrics_by_span.csv", content: csv_files::metrics_by_span(&a.metrics) },
        ReportFile { path: "data/metrics_by_model.csv", content: csv_files::metrics_by_model(&a.metrics) },
        ReportFile { path: "data/cost_variance.json", content: json_files::cost_variance(a) },
        ReportFile { path: "data/qualitative_samples.json", content: json_files::qualitative_samples(a) },
        ReportFile { path: "data/model_pricing.json", content: crate::analysis::pricing::model_pricing_json(&a.pricing) },
    ]
}

#[cfg(test)]
mod tests;
