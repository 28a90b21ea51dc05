//! `## High-Variance Investigation`: the per-trace cost distribution of each
//! top operation (stage 4) and what explains its outliers (stage 5).

use crate::format::{count, pct, usd};
use super::markdown::{escape, link, table};
use crate::analysis::links::trace_url;
use crate::analysis::Analysis;

/// Outlier traces listed in the report (the rest are in `data/cost_variance.json`).
const LISTED_OUTLIERS: usize = 10;

/// Writes the section.
pub fn high_variance_investigation(a: &Analysis) -> String {
    let mut s = String::from("## High-Variance Investigation\n\n");
    let ops = &a.variance.operations;
    if ops.is_empty() {
        s.push_str("No operation has per-trace rows to examine.\n\n");
        return s;
    }
    s.push_str(&format!(
        "Per-trace cost within each of the top {} operations by cost. An outlier costs more than mean + 2 sd, or more than median + 3 x 1.4826 x MAD.\n\n",
        ops.len()
    ));
    let rows: Vec<Vec<String>> = ops
        .iter()
        .map(|v| {
            let c = &v.cost;
            vec![
                escape(&v.operation),
                count(c.n as u64),
                usd(c.min),
                usd(c.median),
                usd(c.mean),
                usd(c.std),
                usd(c.p95),
                usd(c.p99),
                usd(c.max),
                format!("{} / {}", count(v.outliers_sd), count(v.outliers_mad)),
                pct(v.top_1pct_share),
                pct(v.top_10pct_share),
            ]
        })
        .collect();
    s.push_str(&table(&["Operation", "Traces", "Min", "Median", "Mean", "Std", "p95", "p99", "Max", "Outliers (sd / MAD)", "Top 1% share", "Top 10% share"], &rows));
    s.push('\n');
    for v in ops.iter().filter(|v| v.max_to_median >= 10.0) {
        s.push_str(&format!(
            "- `{}`: the most expensive trace costs {:.0}x the median one; outliers hold {} of the operation's cost.\n",
            escape(&v.operation).replace('`', "'"),
            v.max_to_median,
            pct(v.outlier_cost_share)
        ));
    }
    s.push_str(&root_causes(a));
    s.push_str(&population(a));
    s
}

/// Each cause tested on every trace of the top operations: how far it
/// reaches beyond the outliers.
fn population(a: &Analysis) -> String {
    let reach = &a.root_causes.population;
    let mut s = String::from("### Causes across the whole operation

");
    if reach.is_empty() {
        s.push_str("None of the tested hypotheses holds for any trace of the top operations.

");
        return s;
    }
    s.push_str("The same hypotheses tested on every trace of each top operation, outliers or not: the traces showing each cause and their share of the operation's spend.

");
    let rows: Vec<Vec<String>> = reach
        .iter()
        .map(|c| vec![escape(&c.operation), escape(c.cause.label()), format!("{} of {}", count(c.traces), count(c.of)), usd(c.cost_usd), pct(c.share_of_operation)])
        .collect();
    s.push_str(&table(&["Operation", "Issue", "Traces", "Their cost", "Share of the operation's spend"], &rows));
    s.push('\n');
    if let Some(top) = reach.iter().max_by(|x, y| x.share_of_operation.total_cmp(&y.share_of_operation).then_with(|| y.operation.cmp(&x.operation))) {
        s.push_str(&format!(
            "The widest: {} in {} of {} traces of `{}`, {} of its spend.\n\n",
            top.cause.label(),
            count(top.traces),
            count(top.of),
            escape(&top.operation).replace('`', "'"),
            pct(top.share_of_operation)
        ));
    }
    s
}

fn root_causes(a: &Analysis) -> String {
    let rc = &a.root_causes;
    let mut s = String::from("\n### Root causes of the outliers\n\n");
    if rc.diagnoses.is_empty() {
        s.push_str("No outlier traces were found, so there is nothing to explain.\n\n");
        return s;
    }
    if rc.summary.is_empty() {
        s.push_str("None of the tested hypotheses explains the outliers.\n\n");
    } else {
        let rows: Vec<Vec<String>> = rc
            .summary
            .iter()
            .map(|c| vec![escape(c.cause.label()), count(c.traces), usd(c.cost_usd), pct(c.share_of_spend), escape(&c.operations.join(", "))])
            .collect();
        s.push_str(&table(&["Issue", "Outlier traces", "Their cost", "Share of spend", "Operations"], &rows));
        s.push('\n');
    }
    let listed: Vec<Vec<String>> = rc
        .diagnoses
        .iter()
        .filter(|d| !d.trace_id.is_empty())
        .take(LISTED_OUTLIERS)
        .map(|d| {
            let why: Vec<String> = d.causes.iter().map(|(c, text)| format!("{}: {}", c.label(), text)).collect();
            vec![
                link(&escape(&d.trace_id), trace_url(a.origin.posthog.as_ref(), &d.trace_id, a.trace_times.get(&d.trace_id))),
                escape(&d.operation),
                usd(d.cost_usd),
                format!("{:.1}x", d.times_median),
                if why.is_empty() { "unexplained".into() } else { escape(&why.join("; ")) },
            ]
        })
        .collect();
    s.push_str(&format!("The {} most expensive outlier traces, with the hypotheses that held:\n\n", listed.len()));
    s.push_str(&table(&["Trace", "Operation", "Cost", "x median", "Causes"], &listed));
    s.push('\n');
    s
}
