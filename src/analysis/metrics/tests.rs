use super::*;
use crate::analysis::dataset::{LatencyRow, Overview};
use crate::analysis::pricing::{ModelPrice, Resolution};
use chrono::{TimeZone, Utc};

fn row(day: u32, op: &str, model: &str, is_error: bool, calls: u64, cost: f64) -> RollupRow {
    RollupRow {
        day: NaiveDate::from_ymd_opt(2026, 11, day).unwrap(),
        operation: op.into(),
        model: model.into(),
        provider: "p".into(),
        is_error,
        generations: calls,
        cost_usd: cost,
        tokens: TokenSums { input: calls * 100, output: calls * 10, ..TokenSums::default() },
        ..RollupRow::default()
    }
}

fn dataset(rollup: Vec<RollupRow>) -> Dataset {
    Dataset {
        window: Window { start: Utc.with_ymd_and_hms(2026, 11, 1, 12, 0, 0).unwrap(), end: Utc.with_ymd_and_hms(2026, 11, 11, 12, 0, 0).unwrap() },
        overview: Overview::default(),
        rollup,
        latency: vec![LatencyRow { scope: LatencyScope::Operation, key: "a".into(), generations: 3, p50: 1.5, p95: 4.0, p99: 5.0, max: 6.0 }],
        trace_ops: vec![],
        prefixes: vec![],
        errors: vec![],
        generations: vec![],
        sampling: None,
        signals: vec![], segments: vec![],
    }
}

#[test]
fn groups_sum_and_rank_by_cost() {
    let m = compute(&dataset(vec![row(2, "a", "m1", false, 10, 1.0), row(2, "a", "m1", true, 2, 0.0), row(3, "b", "m2", false, 5, 3.0)]), &Costing::default());
    assert_eq!((m.totals.calls, m.totals.errors), (17, 2));
    assert!((m.totals.cost_usd - 4.0).abs() < 1e-12);
    assert_eq!(m.by_operation.iter().map(|g| g.name.as_str()).collect::<Vec<_>>(), ["b", "a"]);
    let a = &m.by_operation[1];
    assert!((a.totals.error_rate() - 2.0 / 12.0).abs() < 1e-12);
    assert!((a.cost_share - 0.25).abs() < 1e-12);
    assert_eq!((a.p50_latency_s, a.p95_latency_s), (1.5, 4.0));
    assert_eq!(m.most_called()[0].name, "a");
}

#[test]
fn daily_series_covers_every_day_and_trends_use_complete_days() {
    let mut rows: Vec<_> = (2..=10).map(|d| row(d, "a", "m", false, 1, 1.0)).collect();
    rows.push(row(10, "a", "m", false, 1, 3.0));
    let m = compute(&dataset(rows), &Costing::default());
    assert_eq!(m.daily.len(), 11, "Nov 1 to Nov 11, partial days included");
    assert_eq!(m.daily[0].totals.calls, 0);
    // Complete days: Nov 2..=10 (9 days), cost 1 each except Nov 10 (4).
    assert!((m.cost_trend.window_daily - 12.0 / 9.0).abs() < 1e-12);
    assert!((m.cost_trend.last_3_daily - 6.0 / 3.0).abs() < 1e-12);
    assert!((m.cost_trend.change(3) - 0.5).abs() < 1e-12);
}

#[test]
fn unpriced_calls_are_backfilled_when_the_model_has_a_price() {
    let mut r = row(2, "a", "known", false, 4, 0.0);
    r.unpriced = 4;
    r.unpriced_tokens = TokenSums { input: 1_000_000, ..TokenSums::default() };
    let mut unknown = r.clone();
    unknown.model = "unknown".into();
    let mut costing = Costing::default();
    costing.prices.insert(("known".into(), "p".into()), Resolution { key: "known".into(), rule: "exact".into(), price: ModelPrice { input: 2e-6, ..ModelPrice::default() } });
    let m = compute(&dataset(vec![r, unknown]), &costing);
    assert!((m.totals.cost_usd - 2.0).abs() < 1e-12);
    assert_eq!(m.totals.unpriced_calls, 4, "only the unknown model stays unpriced");
    let day = &m.daily[1];
    assert!((day.cost_by_model["known"] - 2.0).abs() < 1e-12);
}
