//! `validation_report.json`: stage 11, the analysis checking itself. Each
//! stage's check is a real cross-check between independent answers or a
//! completeness test, and `overall_passed` is true only when all hold.

use super::recommendations_md;
use crate::analysis::metrics::ratio;
use crate::analysis::Analysis;
use serde::Serialize;

/// Relative tolerance of sums that are the same money added in another order.
const SUM_TOLERANCE: f64 = 1e-9;
/// Largest gap allowed between the per-trace rows and the rollup (sums of
/// the same events by two queries).
const CROSS_QUERY_TOLERANCE: f64 = 0.005;

/// One stage's check.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Check {
    pub passed: bool,
    pub message: String,
}

/// The figures the report stands on.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ResultsSummary {
    pub generations_analyzed: u64,
    pub total_cost_usd: f64,
    pub recommendations: usize,
    pub qualitative_findings: usize,
    pub projected_monthly_savings_usd: f64,
    /// What the input got wrong and how it was read (the report's Data Quality).
    pub data_quality: crate::analysis::dataset::DataQuality,
}

/// The file's content.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Validation {
    pub stages: Stages,
    pub results: ResultsSummary,
    pub overall_passed: bool,
}

/// The stages in PRODUCT.md's order.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct Stages {
    pub connect: Check,
    pub pricing: Check,
    pub metrics: Check,
    pub variance: Check,
    pub failures: Check,
    pub qualitative: Check,
    pub report: Check,
}

fn check(passed: bool, message: String) -> Check {
    Check { passed, message }
}

fn close(a: f64, b: f64, rel: f64) -> bool {
    (a - b).abs() <= rel * a.abs().max(b.abs()).max(1e-12)
}

/// Runs every check on `a`.
pub fn validate(a: &Analysis) -> Validation {
    let m = &a.metrics;
    let connect = check(m.totals.calls > 0, format!("{} $ai_generation events in the window from {}", m.totals.calls, a.origin.label));
    let p = &a.pricing.totals;
    let pricing = check(
        p.unpriced_calls == 0,
        if p.unpriced_calls == 0 {
            format!("every call priced ({} backfilled from the price table)", p.backfilled_calls)
        } else {
            format!("{} calls of models without a known price count as $0", p.unpriced_calls)
        },
    );
    let op_cost: f64 = m.by_operation.iter().map(|g| g.totals.cost_usd).sum();
    let model_cost: f64 = m.by_model.iter().map(|g| g.totals.cost_usd).sum();
    let op_calls: u64 = m.by_operation.iter().map(|g| g.totals.calls).sum();
    let metrics = check(
        close(op_cost, m.totals.cost_usd, SUM_TOLERANCE) && close(model_cost, m.totals.cost_usd, SUM_TOLERANCE) && op_calls == m.totals.calls,
        format!("operations add up to {} calls and ${op_cost:.6}, models to ${model_cost:.6}, against totals of {} calls and ${:.6}", op_calls, m.totals.calls, m.totals.cost_usd),
    );
    let variance = variance_check(a);
    let failed: u64 = a.failures.errors.iter().map(|g| g.calls).sum();
    // The errors query keeps the most frequent groups only; when it is full,
    // the groups may hold fewer failures than the rollup, never more.
    let capped = a.failures.error_rows >= crate::contract::ERROR_ROWS;
    let failures = check(
        failed == m.totals.errors || (capped && failed < m.totals.errors),
        format!("error groups hold {failed} failed calls{}; the rollup counts {}", if capped { " (most frequent groups only)" } else { "" }, m.totals.errors),
    );
    let q = &a.qualitative;
    let wanted = a.settings.sample_size.min(a.overview.traces as usize);
    let without_text = q.samples.iter().filter(|s| s.input_excerpt.is_empty() && s.output_excerpt.is_empty()).count();
    let qualitative = check(
        q.samples.len() == wanted && (a.overview.with_payloads == 0 || without_text == 0),
        format!("{} of {wanted} traces sampled; {without_text} without any excerpt", q.samples.len()),
    );
    let md = recommendations_md(a);
    let missing: Vec<&str> = super::SECTIONS.iter().copied().filter(|s| !md.contains(&format!("\n## {s}\n"))).collect();
    let recs = &a.recommendations;
    let report = check(
        missing.is_empty() && recs.shortfall.is_none(),
        match (missing.is_empty(), &recs.shortfall) {
            (false, _) => format!("sections missing: {}", missing.join(", ")),
            (true, Some(short)) => short.clone(),
            (true, None) => format!("every section written; {} recommendations (at least {} asked)", recs.items.len(), a.settings.min_recommendations),
        },
    );
    let stages = Stages { connect, pricing, metrics, variance, failures, qualitative, report };
    let overall_passed = [&stages.connect, &stages.pricing, &stages.metrics, &stages.variance, &stages.failures, &stages.qualitative, &stages.report].iter().all(|c| c.passed);
    Validation {
        results: ResultsSummary {
            generations_analyzed: m.totals.calls,
            total_cost_usd: m.totals.cost_usd,
            recommendations: recs.items.len(),
            qualitative_findings: q.samples.iter().filter(|s| !s.tags.contains(&crate::analysis::qualitative::Tag::Clean)).count(),
            projected_monthly_savings_usd: recs.monthly_savings_usd,
            data_quality: a.overview.quality.clone(),
        },
        stages,
        overall_passed,
    }
}

/// The per-trace rows of each deep-dived operation must add up to the
/// rollup's cost of it (unless sampled): two queries, one answer.
fn variance_check(a: &Analysis) -> Check {
    let wanted = a.settings.top_n.min(a.metrics.by_operation.len());
    if a.variance.operations.len() != wanted {
        return check(false, format!("{} of {wanted} top operations have per-trace rows", a.variance.operations.len()));
    }
    if a.sampling.is_some() {
        return check(true, format!("{wanted} operations, per-trace rows sampled (sums not comparable)"));
    }
    let worst = a
        .variance
        .operations
        .iter()
        .filter_map(|v| {
            let rollup = a.metrics.by_operation.iter().find(|g| g.name == v.operation)?.totals.cost_usd;
            Some((ratio((v.cost.mean * v.cost.n as f64 - rollup).abs(), rollup), v.operation.clone()))
        })
        .fold((0.0, String::new()), |w, x| if x.0 > w.0 { x } else { w });
    check(
        worst.0 <= CROSS_QUERY_TOLERANCE,
        format!("{wanted} operations; per-trace costs match the rollup within {:.3}% (largest gap: {})", worst.0 * 100.0, if worst.1.is_empty() { "none" } else { &worst.1 }),
    )
}

/// `validation_report.json`.
pub fn validation_json(a: &Analysis) -> String {
    super::json_files::pretty(&validate(a))
}
