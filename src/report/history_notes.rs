//! Stage 9 in the Executive Summary: the first analysis says so; a
//! follow-up lists each prior target as hit or missed, with numbers, the
//! fixes not proposed again, and the regressions.

use crate::format::{count, pct, secs, usd};
use super::markdown::{escape, table};
use crate::analysis::history::{Metric, Status};
use crate::analysis::Analysis;

/// A metric's value in its unit.
pub fn metric_value(metric: &Metric, v: f64) -> String {
    match metric {
        Metric::CostPerCall { .. } | Metric::MonthlyCost { .. } => usd(v),
        Metric::ErrorRate { .. } | Metric::TruncationRate { .. } => pct(v),
        Metric::InputTokensPerCall { .. } => count(v.round() as u64),
        Metric::P95Latency { .. } => secs(v),
    }
}

/// The History lines and, after a prior analysis, its tables.
pub fn since_prior(a: &Analysis) -> String {
    let h = &a.history;
    if !h.has_prior {
        return "- **History:** first analysis of this project; `analysis.json` in the results bundle lets the next one follow up on it\n".into();
    }
    let hits = h.targets.iter().filter(|t| t.hit).count();
    let mut s = format!(
        "- **History:** following up on the analysis of the window ending {}: {} of {} prior targets met, {} regressions, {} fixes settled and not proposed again\n",
        h.prior_window_end.map_or_else(|| "-".into(), crate::time::day),
        hits,
        h.targets.len(),
        h.regressions.len(),
        h.settled.len()
    );
    if !h.targets.is_empty() {
        s.push_str("\n### Prior targets\n\n");
        let rows: Vec<Vec<String>> = h
            .targets
            .iter()
            .map(|t| {
                vec![
                    escape(&t.title),
                    escape(&t.metric.label()),
                    metric_value(&t.metric, t.baseline),
                    metric_value(&t.metric, t.target),
                    t.current.map_or_else(|| "operation gone".into(), |v| metric_value(&t.metric, v)),
                    if t.hit { "hit".into() } else { "miss".into() },
                ]
            })
            .collect();
        s.push_str(&table(&["Recommendation", "Metric", "Baseline", "Target", "Now", "Status"], &rows));
    }
    if !h.regressions.is_empty() {
        s.push_str("\n### Regressions\n\n");
        let rows: Vec<Vec<String>> = h
            .regressions
            .iter()
            .map(|r| vec![escape(r.metric.operation()), r.metric.what().into(), metric_value(&r.metric, r.before), metric_value(&r.metric, r.now)])
            .collect();
        s.push_str(&table(&["Operation", "Metric", "Before", "Now"], &rows));
    }
    let settled: Vec<String> = h
        .settled
        .iter()
        .map(|r| format!("{} ({})", escape(&r.title), if r.status == Status::Shipped { "shipped" } else { "rejected" }))
        .collect();
    if !settled.is_empty() {
        s.push_str(&format!("\nNot proposed again: {}.\n", settled.join(", ")));
    }
    s
}
