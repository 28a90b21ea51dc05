//! Which traces to read closely (the query plan's second round): the cost
//! outliers of the top operations, and a qualitative sample spread over the
//! cheapest, median, most expensive, slowest and failed traces.

use super::dataset::{RollupRow, TraceOpRow};
use super::stats::outlier_thresholds;
use super::Settings;
use serde::{Deserialize, Serialize};
use std::collections::{BTreeMap, BTreeSet};

/// Why a trace was picked for the qualitative sample.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Stratum {
    MostExpensive,
    Median,
    Cheapest,
    Slowest,
    Errored,
}

impl Stratum {
    /// Every stratum, in the order the sample fills them.
    pub const ALL: [Stratum; 5] = [Stratum::MostExpensive, Stratum::Median, Stratum::Cheapest, Stratum::Slowest, Stratum::Errored];

    /// A label for tables.
    pub fn label(self) -> &'static str {
        match self {
            Stratum::MostExpensive => "most expensive",
            Stratum::Median => "median",
            Stratum::Cheapest => "cheapest",
            Stratum::Slowest => "slowest",
            Stratum::Errored => "errored",
        }
    }
}

/// Most outlier traces read per top operation.
pub const OUTLIERS_PER_OPERATION: usize = 8;

/// The traces picked for a closer read.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Selection {
    /// Outlier traces by operation (most expensive first).
    pub outliers: BTreeMap<String, Vec<String>>,
    /// The qualitative sample with the stratum each trace stands for.
    pub sample: Vec<(String, Stratum)>,
}

impl Selection {
    /// Every selected trace id, once, sorted.
    pub fn trace_ids(&self) -> Vec<String> {
        let ids: BTreeSet<&String> = self.outliers.values().flatten().chain(self.sample.iter().map(|(t, _)| t)).collect();
        ids.into_iter().cloned().collect()
    }
}

/// The top `n` operations by PostHog cost in the rollup.
pub fn top_operations(rollup: &[RollupRow], n: usize) -> Vec<String> {
    let mut cost: BTreeMap<&str, f64> = BTreeMap::new();
    for r in rollup {
        *cost.entry(&r.operation).or_default() += r.cost_usd;
    }
    let mut ops: Vec<_> = cost.into_iter().collect();
    ops.sort_by(|a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ops.into_iter().take(n).map(|(o, _)| o.to_string()).collect()
}

/// Picks outliers and the sample from the per-trace rows.
pub fn select(rollup: &[RollupRow], trace_ops: &[TraceOpRow], settings: &Settings) -> Selection {
    let mut sel = Selection::default();
    for op in top_operations(rollup, settings.top_n) {
        let mut rows: Vec<&TraceOpRow> = trace_ops.iter().filter(|r| r.operation == op).collect();
        let costs: Vec<f64> = rows.iter().map(|r| r.cost_usd).collect();
        let Some(t) = outlier_thresholds(&costs) else { continue };
        let cut = t.sd_rule.min(t.mad_rule);
        rows.retain(|r| r.cost_usd > cut);
        rows.sort_by(|a, b| b.cost_usd.total_cmp(&a.cost_usd).then(a.trace_id.cmp(&b.trace_id)));
        let ids: Vec<String> = rows.iter().take(OUTLIERS_PER_OPERATION).map(|r| r.trace_id.clone()).collect();
        if !ids.is_empty() {
            sel.outliers.insert(op, ids);
        }
    }
    sel.sample = sample(trace_ops, settings.sample_size);
    sel
}

/// One trace summed over its operations.
struct TraceTotal<'a> {
    id: &'a str,
    cost: f64,
    latency: f64,
    errors: u64,
}

/// Spreads `size` traces over the strata, round-robin, skipping traces
/// already taken and strata that have nothing (no errors, say).
fn sample(trace_ops: &[TraceOpRow], size: usize) -> Vec<(String, Stratum)> {
    let mut by_trace: BTreeMap<&str, TraceTotal> = BTreeMap::new();
    for r in trace_ops {
        let t = by_trace.entry(&r.trace_id).or_insert(TraceTotal { id: &r.trace_id, cost: 0.0, latency: 0.0, errors: 0 });
        t.cost += r.cost_usd;
        t.latency += r.latency_s;
        t.errors += r.errors;
    }
    let traces: Vec<TraceTotal> = by_trace.into_values().collect();
    let ranked = |key: &dyn Fn(&TraceTotal) -> f64, filter: &dyn Fn(&TraceTotal) -> bool| {
        let mut v: Vec<&TraceTotal> = traces.iter().filter(|t| filter(t)).collect();
        v.sort_by(|a, b| key(b).total_cmp(&key(a)).then(a.id.cmp(b.id)));
        v.into_iter().map(|t| t.id).collect::<Vec<_>>()
    };
    let by_cost = ranked(&|t| t.cost, &|_| true);
    let mid = by_cost.len() / 2;
    let median_out: Vec<&str> = (0..by_cost.len()).map(|i| if i % 2 == 0 { mid + i / 2 } else { mid.wrapping_sub(i / 2 + 1) }).filter_map(|i| by_cost.get(i).copied()).collect();
    let queues: Vec<(Stratum, Vec<&str>)> = vec![
        (Stratum::MostExpensive, by_cost.clone()),
        (Stratum::Median, median_out),
        (Stratum::Cheapest, by_cost.iter().rev().copied().collect()),
        (Stratum::Slowest, ranked(&|t| t.latency, &|_| true)),
        (Stratum::Errored, ranked(&|t| t.errors as f64, &|t| t.errors > 0)),
    ];
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    let mut cursors = vec![0usize; queues.len()];
    let mut out = Vec::new();
    while out.len() < size.min(traces.len()) {
        let before = out.len();
        for (i, (stratum, q)) in queues.iter().enumerate() {
            if out.len() >= size {
                break;
            }
            while let Some(id) = q.get(cursors[i]) {
                cursors[i] += 1;
                if taken.insert(id) {
                    out.push((id.to_string(), *stratum));
                    break;
                }
            }
        }
        if out.len() == before {
            break;
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn row(trace: &str, op: &str, cost: f64, latency: f64, errors: u64) -> TraceOpRow {
        TraceOpRow { trace_id: trace.into(), operation: op.into(), cost_usd: cost, latency_s: latency, errors, generations: 1, ..TraceOpRow::default() }
    }

    #[test]
    fn sample_spreads_over_strata_without_repeats() {
        let mut rows: Vec<TraceOpRow> = (0..20).map(|i| row(&format!("t{i:02}"), "a", i as f64, 1.0, 0)).collect();
        rows.push(row("slow", "a", 5.5, 99.0, 0));
        rows.push(row("bad", "a", 4.5, 1.0, 2));
        let s = sample(&rows, 5);
        let ids: Vec<&str> = s.iter().map(|(t, _)| t.as_str()).collect();
        assert_eq!(ids, ["t19", "t08", "t00", "slow", "bad"], "t08 sits in the middle of 22 traces by cost");
        assert_eq!(s.iter().map(|(_, st)| *st).collect::<Vec<_>>(), Stratum::ALL);
        assert_eq!(sample(&rows, 100).len(), 22, "never more than there are traces");
    }

    #[test]
    fn outliers_are_the_expensive_tail_of_top_operations() {
        let mut rows: Vec<TraceOpRow> = (0..50).map(|i| row(&format!("t{i}"), "a", 1.0 + (i % 3) as f64 * 0.01, 1.0, 0)).collect();
        rows.push(row("whale", "a", 40.0, 1.0, 0));
        let rollup = vec![RollupRow { operation: "a".into(), cost_usd: 90.0, ..RollupRow::default() }];
        let sel = select(&rollup, &rows, &Settings { sample_size: 3, ..Settings::default() });
        assert_eq!(sel.outliers["a"], vec!["whale".to_string()]);
        assert!(sel.trace_ids().contains(&"whale".to_string()));
    }
}
