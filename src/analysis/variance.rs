//! Stage 4, cost variance: for the top operations by cost, how the cost of
//! one trace within the operation is distributed, which traces are
//! outliers, and how concentrated the spend is.

use super::by_operation::{ByOperation, Priced};
use super::stats::{log_bins, outlier_thresholds, summarize, top_share, Bin, OutlierThresholds, Summary};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

/// Bins of the per-trace cost histogram (log scale).
pub const HISTOGRAM_BINS: usize = 24;
/// Most expensive traces listed per operation.
pub const TOP_TRACES: usize = 10;

/// One trace's cost within an operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct TraceCost {
    pub trace_id: String,
    #[serde(with = "crate::time::instant")]
    pub first_seen: DateTime<Utc>,
    pub cost_usd: f64,
    pub generations: u64,
    pub input_tokens: u64,
    pub output_tokens: u64,
    /// Above mean + 2 sd, and above median + 3 x 1.4826 x MAD.
    pub outlier_sd: bool,
    pub outlier_mad: bool,
}

/// The per-trace cost distribution of one operation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct OperationVariance {
    pub operation: String,
    /// Per-trace cost (USD): n, min, mean, median, std, p95, p99, max.
    pub cost: Summary,
    pub thresholds: OutlierThresholds,
    pub outliers_sd: u64,
    pub outliers_mad: u64,
    /// Share of the operation's cost in outlier traces (either rule).
    pub outlier_cost_share: f64,
    /// Share of the operation's cost in its most expensive 1% and 10% of traces.
    pub top_1pct_share: f64,
    pub top_10pct_share: f64,
    /// `max / median`: how far the worst trace is from a typical one.
    pub max_to_median: f64,
    pub histogram: Vec<Bin>,
    /// The most expensive traces, most expensive first.
    pub top_traces: Vec<TraceCost>,
}

/// Stage 4's result.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Variance {
    /// The top operations by cost, most expensive first.
    pub operations: Vec<OperationVariance>,
}

impl Variance {
    /// The distribution of `operation`, if it was deep-dived.
    pub fn operation(&self, operation: &str) -> Option<&OperationVariance> {
        self.operations.iter().find(|v| v.operation == operation)
    }
}

/// Computes stage 4 for `operations` (the top ones by cost).
pub fn compute(rows: &ByOperation, operations: &[String]) -> Variance {
    Variance { operations: operations.iter().filter_map(|op| operation(op, rows.rows(op))).collect() }
}

fn operation(op: &str, rows: &[Priced]) -> Option<OperationVariance> {
    let costs: Vec<f64> = rows.iter().map(|p| p.cost).collect();
    let cost = summarize(&costs)?;
    let thresholds = outlier_thresholds(&costs)?;
    let total: f64 = costs.iter().sum();
    let (mut n_sd, mut n_mad, mut outlier_cost) = (0, 0, 0.0);
    for c in &costs {
        let (sd, mad) = (*c > thresholds.sd_rule, *c > thresholds.mad_rule);
        n_sd += u64::from(sd);
        n_mad += u64::from(mad);
        if sd || mad {
            outlier_cost += c;
        }
    }
    let mut order: Vec<usize> = (0..rows.len()).collect();
    let k = TOP_TRACES.min(order.len());
    // Rows are sorted by trace id: equal costs fall in trace-id order.
    let cmp = |a: &usize, b: &usize| costs[*b].total_cmp(&costs[*a]).then(a.cmp(b));
    if k < order.len() {
        crate::order::select_nth_by(&mut order, k - 1, cmp);
    }
    order.truncate(k);
    crate::order::sort_by(&mut order, cmp);
    let top_traces = order
        .into_iter()
        .map(|i| {
            let r = rows[i].row;
            TraceCost {
                trace_id: r.trace_id.clone(),
                first_seen: r.first_seen,
                cost_usd: costs[i],
                generations: r.generations,
                input_tokens: r.tokens.input,
                output_tokens: r.tokens.output,
                outlier_sd: costs[i] > thresholds.sd_rule,
                outlier_mad: costs[i] > thresholds.mad_rule,
            }
        })
        .collect();
    Some(OperationVariance {
        operation: op.to_string(),
        max_to_median: if cost.median > 0.0 { cost.max / cost.median } else { 0.0 },
        cost,
        thresholds,
        outliers_sd: n_sd,
        outliers_mad: n_mad,
        outlier_cost_share: super::metrics::ratio(outlier_cost, total),
        top_1pct_share: top_share(&costs, 0.01),
        top_10pct_share: top_share(&costs, 0.10),
        histogram: log_bins(&costs, HISTOGRAM_BINS),
        top_traces,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::analysis::dataset::TraceOpRow;
    use crate::analysis::pricing::Costing;

    fn row(trace: &str, op: &str, cost: f64) -> TraceOpRow {
        TraceOpRow { trace_id: trace.into(), operation: op.into(), cost_usd: cost, generations: 1, ..TraceOpRow::default() }
    }

    fn variance(rows: &[TraceOpRow]) -> Variance {
        let mut rows = rows.to_vec();
        crate::analysis::dataset::sort_trace_ops(&mut rows);
        compute(&ByOperation::new(&rows, &Costing::default()), &["a".into()])
    }

    #[test]
    fn a_whale_is_an_outlier_and_holds_the_spend() {
        let mut rows: Vec<TraceOpRow> = (0..99).map(|i| row(&format!("t{i:02}"), "a", 1.0 + (i % 5) as f64 * 0.1)).collect();
        rows.push(row("whale", "a", 200.0));
        rows.push(row("other-op", "b", 5.0));
        let v = variance(&rows);
        let a = &v.operations[0];
        assert_eq!((a.cost.n, a.outliers_sd, a.outliers_mad), (100, 1, 1));
        assert_eq!(a.top_traces[0].trace_id, "whale");
        assert!(a.top_traces[0].outlier_sd && a.top_traces[0].outlier_mad);
        assert!(a.top_1pct_share > 0.6 && a.outlier_cost_share > 0.6, "{} {}", a.top_1pct_share, a.outlier_cost_share);
        assert_eq!(a.top_traces.len(), TOP_TRACES);
        assert!(a.top_traces.windows(2).all(|w| w[0].cost_usd >= w[1].cost_usd));
        assert_eq!(a.histogram.iter().map(|b| b.count).sum::<usize>(), 100);
        assert!(v.operation("b").is_none(), "only the operations asked for");
    }

    #[test]
    fn uniform_costs_have_no_outliers() {
        let rows: Vec<TraceOpRow> = (0..50).map(|i| row(&format!("t{i}"), "a", 2.0)).collect();
        let a = &variance(&rows).operations[0];
        assert_eq!((a.outliers_sd, a.outliers_mad, a.outlier_cost_share), (0, 0, 0.0));
        assert!((a.top_10pct_share - 0.1).abs() < 1e-12);
    }
}
