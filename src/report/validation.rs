//! `validation_report.json`: stage 11, the analysis checking itself. Each
//! stage's check is a real cross-check between independent answers or a
//! completeness test, and `overall_passed` is true only when all hold.

use super::recommendations_md;
use crate::analysis::metrics::{ratio, Totals};
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
    let metrics = totals_check(a);
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

/// Every table of the metrics (the rollup, by operation, by model, by day,
/// by operation and model) must add up to the overview's generation count
/// and the rollup's cost: a table that lost or doubled rows is named.
fn totals_check(a: &Analysis) -> Check {
    let m = &a.metrics;
    let (calls, cost) = (a.overview.generations, m.totals.cost_usd);
    let sum = |t: &mut dyn Iterator<Item = &Totals>| t.fold((0, 0.0), |(n, c), t| (n + t.calls, c + t.cost_usd));
    let tables = [
        ("rollup", (m.totals.calls, m.totals.cost_usd)),
        ("by operation", sum(&mut m.by_operation.iter().map(|g| &g.totals))),
        ("by model", sum(&mut m.by_model.iter().map(|g| &g.totals))),
        ("by day", sum(&mut m.daily.iter().map(|d| &d.totals))),
        ("by operation and model", sum(&mut m.by_operation_model.iter().map(|g| &g.totals))),
    ];
    let off: Vec<String> =
        tables.iter().filter(|(_, (n, c))| *n != calls || !close(*c, cost, SUM_TOLERANCE)).map(|(name, (n, c))| format!("{name} adds up to {n} calls and ${c:.6}")).collect();
    let against = format!("the overview's {calls} generations and the rollup's ${cost:.6}");
    match off.is_empty() {
        true => check(true, format!("every table (rollup, by operation, by model, by day, by operation and model) adds up to {against}")),
        false => check(false, format!("{} against {against}", off.join("; "))),
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

#[cfg(test)]
mod tests {
    use super::*;
    use crate::testing::demo_analysis;

    #[test]
    fn tables_that_do_not_reconcile_are_named() {
        let a = demo_analysis(false);
        let v = validate(&a);
        assert!(v.stages.metrics.passed, "{}", v.stages.metrics.message);
        // A model row lost: only its table fails.
        let mut lost = a.clone();
        let gone = lost.metrics.by_model.pop().expect("models");
        let c = validate(&lost).stages.metrics;
        assert!(!c.passed && c.message.starts_with("by model adds up to"), "{}", c.message);
        assert!(c.message.contains(&format!("{} calls", a.overview.generations - gone.totals.calls)) && !c.message.contains("by operation"), "{}", c.message);
        // A day counted twice.
        let mut doubled = a.clone();
        let day = doubled.metrics.daily.iter().find(|d| d.totals.calls > 0).unwrap().clone();
        doubled.metrics.daily.push(day);
        let c = validate(&doubled).stages.metrics;
        assert!(!c.passed && c.message.starts_with("by day") && !validate(&doubled).overall_passed, "{}", c.message);
        // The rollup short of the overview (rows cut at a cap): every table is off.
        let mut cut = a.clone();
        cut.overview.generations += 7;
        let c = validate(&cut).stages.metrics;
        assert!(!c.passed && ["rollup", "by operation", "by model", "by day", "by operation and model"].iter().all(|t| c.message.contains(&format!("{t} adds up to {} calls", a.overview.generations))), "{}", c.message);
    }
}
