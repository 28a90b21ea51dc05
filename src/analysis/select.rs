//! Which traces to read closely (the query plan's second round): the cost
//! outliers of the top operations, and a qualitative sample spread over the
//! cheapest, median, most expensive, slowest and failed traces.

use super::by_operation::{compare_ids, ByOperation};
use super::dataset::{RollupRow, TraceOpRow};
use super::stats::outlier_thresholds;
use super::Settings;
use serde::{Deserialize, Serialize};
use std::cmp::Ordering;
use std::collections::{BTreeMap, BTreeSet, HashMap};

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
        let ids: BTreeSet<&String> = crate::order::set_of(self.outliers.values().flatten().chain(self.sample.iter().map(|(t, _)| t)));
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
    crate::order::sort_by(&mut ops, |a, b| b.1.total_cmp(&a.1).then(a.0.cmp(b.0)));
    ops.into_iter().take(n).map(|(o, _)| o.to_string()).collect()
}

/// Picks outliers and the sample from the per-trace rows (`by_op` groups
/// `trace_ops`). Outliers are judged by PostHog's cost, so that the query
/// plan and the analysis pick the same traces.
pub fn select(rollup: &[RollupRow], by_op: &ByOperation, trace_ops: &[TraceOpRow], settings: &Settings) -> Selection {
    let mut sel = Selection::default();
    for op in top_operations(rollup, settings.top_n) {
        let mut rows: Vec<&TraceOpRow> = by_op.rows(&op).iter().map(|p| p.row).collect();
        let costs: Vec<f64> = rows.iter().map(|r| r.cost_usd).collect();
        let Some(t) = outlier_thresholds(&costs) else { continue };
        let cut = t.sd_rule.min(t.mad_rule);
        // Rows without a trace id count in the thresholds but are never read or cited.
        rows.retain(|r| r.cost_usd > cut && !r.trace_id.is_empty());
        crate::order::sort_by(&mut rows, |a, b| b.cost_usd.total_cmp(&a.cost_usd).then(a.trace_id.cmp(&b.trace_id)));
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
    /// Position in trace-id order: breaks ties without comparing ids.
    pos: usize,
    cost: f64,
    latency: f64,
    errors: u64,
}

/// Sums the rows of each trace, in trace-id order. Rows come from the plan
/// ordered by trace id, so runs of one id are summed without hashing; any
/// other order falls back to a map.
fn trace_totals(trace_ops: &[TraceOpRow]) -> Vec<TraceTotal<'_>> {
    let add = |t: &mut TraceTotal, r: &TraceOpRow| {
        t.cost += r.cost_usd;
        t.latency += r.latency_s;
        t.errors += r.errors;
    };
    let empty = |id| TraceTotal { id, pos: 0, cost: 0.0, latency: 0.0, errors: 0 };
    let mut runs: Vec<TraceTotal> = Vec::new();
    for r in trace_ops {
        match runs.last_mut() {
            Some(t) if compare_ids(t.id, &r.trace_id).is_eq() => add(t, r),
            _ => {
                let mut t = empty(&r.trace_id);
                add(&mut t, r);
                runs.push(t);
            }
        }
    }
    if !runs.windows(2).all(|w| compare_ids(w[0].id, w[1].id).is_lt()) {
        let mut by_id: HashMap<&str, TraceTotal> = HashMap::new();
        for r in trace_ops {
            add(by_id.entry(&r.trace_id).or_insert_with(|| empty(&r.trace_id)), r);
        }
        runs = by_id.into_values().collect();
        crate::order::sort_by(&mut runs, |a, b| compare_ids(a.id, b.id));
    }
    for (pos, t) in runs.iter_mut().enumerate() {
        t.pos = pos;
    }
    runs
}

/// The resolution keys are ranked at: a trace's cost and latency are sums
/// that PostHog's ClickHouse and the memory source take in different
/// orders, so traces that tie (the same calls at the same prices) differ in
/// their last bits, and the sources would break the tie differently. At
/// 1e-10 (a ten-billionth of a dollar or a second) they tie again and the
/// id decides, in both.
const KEY_RESOLUTION: f64 = 1e-10;

/// An order on traces: a key at [`KEY_RESOLUTION`], largest first, ties broken by id.
fn by<'a>(key: fn(&TraceTotal) -> f64) -> impl Fn(&&TraceTotal<'a>, &&TraceTotal<'a>) -> Ordering + Copy {
    let at = |x: f64| (x / KEY_RESOLUTION).round();
    move |a, b| at(key(b)).total_cmp(&at(key(a))).then(a.pos.cmp(&b.pos))
}

/// The ids at ranks `lo..hi` of `v` under `cmp`, in order, without sorting
/// all of `v` (a million traces, when only a few dozen are wanted).
fn ranks<'a>(mut v: Vec<&'a TraceTotal<'a>>, cmp: impl Fn(&&TraceTotal<'a>, &&TraceTotal<'a>) -> Ordering + Copy, lo: usize, hi: usize) -> Vec<&'a str> {
    let (lo, hi) = (lo.min(v.len()), hi.min(v.len()));
    if lo >= hi {
        return Vec::new();
    }
    if lo > 0 {
        crate::order::select_nth_by(&mut v, lo, cmp);
    }
    let rest = &mut v[lo..];
    let k = hi - lo;
    if k < rest.len() {
        crate::order::select_nth_by(rest, k - 1, cmp);
    }
    let window = &mut rest[..k];
    crate::order::sort_by(window, cmp);
    window.iter().map(|t| t.id).collect()
}

/// Spreads `size` traces over the strata, round-robin, skipping traces
/// already taken and strata that have nothing (no errors, say). Each
/// stratum needs at most `2 x size` candidates: at most `size` are taken.
///
/// Rows without a trace id are not a trace anyone can open: never sampled.
fn sample(trace_ops: &[TraceOpRow], size: usize) -> Vec<(String, Stratum)> {
    let totals = trace_totals(trace_ops);
    let traces: Vec<&TraceTotal> = totals.iter().filter(|t| !t.id.is_empty()).collect();
    let (n, k) = (traces.len(), 2 * size);
    let cost = by(|t| t.cost);
    let mid = n / 2;
    let around = ranks(traces.clone(), cost, mid.saturating_sub(k), mid + k);
    let mid_at = mid - mid.saturating_sub(k);
    // Outward from the median: mid, mid-1, mid+1, mid-2, ...
    let median_out: Vec<&str> = (0..around.len())
        .map(|i| if i % 2 == 0 { mid_at + i / 2 } else { mid_at.wrapping_sub(i / 2 + 1) })
        .filter_map(|i| around.get(i).copied())
        .collect();
    let mut cheapest = ranks(traces.clone(), cost, n.saturating_sub(k), n);
    cheapest.reverse();
    let errored: Vec<&TraceTotal> = traces.iter().copied().filter(|t| t.errors > 0).collect();
    let queues: Vec<(Stratum, Vec<&str>)> = vec![
        (Stratum::MostExpensive, ranks(traces.clone(), cost, 0, k)),
        (Stratum::Median, median_out),
        (Stratum::Cheapest, cheapest),
        (Stratum::Slowest, ranks(traces.clone(), by(|t| t.latency), 0, k)),
        (Stratum::Errored, ranks(errored, by(|t| t.errors as f64), 0, k)),
    ];
    let mut taken: BTreeSet<&str> = BTreeSet::new();
    let mut cursors = vec![0usize; queues.len()];
    let mut out = Vec::new();
    while out.len() < size.min(n) {
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

    /// Two traces of the same calls tie whichever order their cost was summed
    /// in (0.1 + 0.2 is 0.30000000000000004, another order a few bits more): the id decides, as it does
    /// for the other source.
    #[test]
    fn a_tie_summed_in_another_order_is_still_a_tie() {
        let rows = |noisy: f64| vec![row("a", "x", 0.1, 1.0, 0), row("a", "y", 0.2, 1.0, 0), row("b", "x", noisy, 2.0, 0), row("c", "x", 0.01, 1.0, 0)];
        let exact = sample(&rows(0.3), 1);
        assert_eq!(sample(&rows(0.300_000_000_000_000_1), 1), exact);
        assert_eq!(exact[0].0, "a", "the most expensive, by id among equals");
        assert_eq!(sample(&rows(0.3 + 1e-9), 1)[0].0, "b", "a real difference still ranks");
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

    /// The strata by full sorts: what `sample` must equal.
    fn sample_by_sorting(rows: &[TraceOpRow], size: usize) -> Vec<(String, Stratum)> {
        let mut t: BTreeMap<&str, (f64, f64, u64)> = BTreeMap::new();
        for r in rows {
            let e = t.entry(&r.trace_id).or_default();
            *e = (e.0 + r.cost_usd, e.1 + r.latency_s, e.2 + r.errors);
        }
        let rank = |key: &dyn Fn(&(f64, f64, u64)) -> f64, keep: &dyn Fn(&(f64, f64, u64)) -> bool| {
            let mut v: Vec<(&str, (f64, f64, u64))> = t.iter().filter(|(_, x)| keep(x)).map(|(k, x)| (*k, *x)).collect();
            crate::order::sort_by(&mut v, |a, b| key(&b.1).total_cmp(&key(&a.1)).then(a.0.cmp(b.0)));
            v.into_iter().map(|(k, _)| k).collect::<Vec<_>>()
        };
        let cost = rank(&|x| x.0, &|_| true);
        let mid = cost.len() / 2;
        let median: Vec<&str> = (0..cost.len()).map(|i| if i % 2 == 0 { mid + i / 2 } else { mid.wrapping_sub(i / 2 + 1) }).filter_map(|i| cost.get(i).copied()).collect();
        let queues = [cost.clone(), median, cost.iter().rev().copied().collect(), rank(&|x| x.1, &|_| true), rank(&|x| x.2 as f64, &|x| x.2 > 0)];
        let mut taken = BTreeSet::new();
        let mut cursors = [0usize; 5];
        let mut out = Vec::new();
        while out.len() < size.min(t.len()) {
            let before = out.len();
            for (i, q) in queues.iter().enumerate() {
                if out.len() >= size {
                    break;
                }
                while let Some(id) = q.get(cursors[i]) {
                    cursors[i] += 1;
                    if taken.insert(*id) {
                        out.push((id.to_string(), Stratum::ALL[i]));
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

    #[test]
    fn partial_ranking_picks_what_full_sorting_picks() {
        for seed in 0..40u64 {
            let n = 1 + (seed * 7 % 90) as usize;
            let rows: Vec<TraceOpRow> = (0..n)
                .map(|i| {
                    let h = (i as u64 + seed * 1000).wrapping_mul(0x9E37_79B9_7F4A_7C15);
                    // Few distinct values, so ties are common.
                    row(&format!("t{}", h % 50), "a", (h >> 20 & 7) as f64, (h >> 30 & 3) as f64, h >> 40 & 1)
                })
                .collect();
            let mut in_plan_order = rows.clone();
            crate::order::sort_by(&mut in_plan_order, |a, b| a.trace_id.cmp(&b.trace_id));
            for size in [1, 3, 15] {
                assert_eq!(sample(&rows, size), sample_by_sorting(&rows, size), "seed {seed} size {size}");
                assert_eq!(sample(&in_plan_order, size), sample_by_sorting(&rows, size), "sorted, seed {seed} size {size}");
            }
        }
    }

    #[test]
    fn outliers_are_the_expensive_tail_of_top_operations() {
        let mut rows: Vec<TraceOpRow> = (0..50).map(|i| row(&format!("t{i}"), "a", 1.0 + (i % 3) as f64 * 0.01, 1.0, 0)).collect();
        rows.push(row("whale", "a", 40.0, 1.0, 0));
        crate::analysis::dataset::sort_trace_ops(&mut rows);
        let rollup = vec![RollupRow { operation: "a".into(), cost_usd: 90.0, ..RollupRow::default() }];
        let by_op = ByOperation::new(&rows, &crate::analysis::pricing::Costing::default());
        let sel = select(&rollup, &by_op, &rows, &Settings { sample_size: 3, ..Settings::default() });
        assert_eq!(sel.outliers["a"], vec!["whale".to_string()]);
        assert!(sel.trace_ids().contains(&"whale".to_string()));
    }

    #[test]
    fn rows_without_a_trace_id_are_never_picked() {
        let mut rows: Vec<TraceOpRow> = (0..50).map(|i| row(&format!("t{i}"), "a", 1.0 + (i % 3) as f64 * 0.01, 1.0, 0)).collect();
        // The most expensive, slowest and failed row of all has no id.
        rows.push(row("", "a", 60.0, 99.0, 3));
        rows.push(row("whale", "a", 40.0, 1.0, 0));
        crate::analysis::dataset::sort_trace_ops(&mut rows);
        let rollup = vec![RollupRow { operation: "a".into(), cost_usd: 150.0, ..RollupRow::default() }];
        let by_op = ByOperation::new(&rows, &crate::analysis::pricing::Costing::default());
        let sel = select(&rollup, &by_op, &rows, &Settings { sample_size: 10, ..Settings::default() });
        assert_eq!(sel.outliers["a"], vec!["whale".to_string()]);
        assert_eq!(sel.sample.len(), 10);
        assert!(sel.trace_ids().iter().all(|id| !id.is_empty()), "{:?}", sel.trace_ids());
        assert_eq!(sel.sample[0].0, "whale", "the most expensive trace with an id comes first");
    }
}
