use super::*;
use crate::analysis::dataset::{Overview, Window};
use chrono::{Duration, TimeZone, Utc};

/// A `days`-day window of one operation on one model: `calls` calls a day,
/// each costing `cost(day)`.
fn project(days: i64, calls: u64, cost: &dyn Fn(i64) -> f64) -> Dataset {
    let start = Utc.with_ymd_and_hms(2026, 3, 1, 0, 0, 0).single().expect("valid");
    let rollup = (0..days)
        .map(|d| RollupRow {
            day: start.date_naive() + Duration::days(d),
            operation: "op".into(),
            model: "m".into(),
            provider: "p".into(),
            generations: calls,
            cost_usd: cost(d) * calls as f64,
            tokens: TokenSums { input: 1_000 * calls, output: 100 * calls, ..TokenSums::default() },
            ..RollupRow::default()
        })
        .collect();
    Dataset {
        window: Window { start, end: start + Duration::days(days) },
        overview: Overview::default(),
        rollup,
        latency: vec![],
        trace_ops: vec![],
        prefixes: vec![],
        errors: vec![],
        generations: vec![],
        signals: vec![],
        segments: vec![],
        sampling: None,
    }
}

fn operations(c: &Changes) -> Vec<&Change> {
    c.items.iter().filter(|x| x.scope == Scope::Operation).collect()
}

#[test]
fn a_spike_shorter_than_the_run_is_not_a_change_and_a_run_is() {
    for spike in 1..MIN_RUN_DAYS as i64 {
        let data = project(30, 50, &|d| if (20..20 + spike).contains(&d) { 0.03 } else { 0.01 });
        assert!(compute(&data, &Costing::default()).items.is_empty(), "{spike}-day spike");
    }
    let data = project(30, 50, &|d| if (20..20 + MIN_RUN_DAYS as i64).contains(&d) { 0.03 } else { 0.01 });
    let c = compute(&data, &Costing::default());
    let [x] = operations(&c)[..] else { panic!("{:?}", c.items) };
    assert_eq!((x.began, x.days, x.ongoing), (data.window.start.date_naive() + Duration::days(20), MIN_RUN_DAYS as u32, false));
}

#[test]
fn the_threshold_is_one_and_a_half_times_the_baseline_either_way() {
    let found = |after: f64| !compute(&project(30, 50, &|d| if d >= 18 { after } else { 0.01 }), &Costing::default()).items.is_empty();
    assert!(found(0.0151) && found(0.0066));
    assert!(!found(0.0149) && !found(0.0067));
}

#[test]
fn the_baseline_is_fourteen_days_or_the_first_half_of_a_shorter_window() {
    assert_eq!((baseline_len(30), baseline_len(28), baseline_len(20), baseline_len(7)), (14, 14, 10, 3));
    let c = compute(&project(30, 50, &|d| if d >= 25 { 0.02 } else { 0.01 }), &Costing::default());
    let x = operations(&c)[0];
    assert_eq!((x.baseline_from, x.baseline_to), (x.began - Duration::days(14), x.began - Duration::days(1)));
    let short = compute(&project(4, 50, &|_| 0.01), &Costing::default());
    assert!(!short.comparable() && short.items.is_empty());
}

#[test]
fn a_baseline_of_too_few_calls_is_not_compared() {
    let c = compute(&project(30, 1, &|d| if d >= 18 { 0.05 } else { 0.01 }), &Costing::default());
    assert!(c.items.is_empty(), "14 calls make no baseline");
}

#[test]
fn a_price_change_is_the_price_driver_and_the_parts_add_up() {
    let c = compute(&project(30, 50, &|d| if d >= 18 { 0.02 } else { 0.01 }), &Costing::default());
    let x = operations(&c)[0];
    assert_eq!(x.driver, Driver::Price, "same tokens billed dearer: {:?}", x.parts);
    let sum: f64 = x.parts.iter().map(|p| p.usd_per_day).sum();
    assert!((sum - (x.daily_cost.after - x.daily_cost.before)).abs() < 1e-12);
    assert!((x.daily_cost.after - 1.0).abs() < 1e-9 && (x.daily_cost.before - 0.5).abs() < 1e-9);
    assert!((x.extra_usd - 0.5 * 12.0).abs() < 1e-9, "{}", x.extra_usd);
}

#[test]
fn a_second_change_inside_a_first_ends_it_and_keeps_its_own_day() {
    let data = project(30, 50, &|d| if d >= 22 { 0.04 } else if d >= 16 { 0.02 } else { 0.01 });
    let c = compute(&data, &Costing::default());
    let mut found: Vec<&Change> = operations(&c);
    found.sort_by_key(|x| x.began);
    let day = |d: i64| data.window.start.date_naive() + Duration::days(d);
    let [first, second] = found[..] else { panic!("{:?}", c.items) };
    assert_eq!((first.began, first.last_day, first.ongoing), (day(16), day(21), false));
    assert_eq!((second.began, second.last_day, second.ongoing), (day(22), day(29), true));
    assert_eq!((second.baseline_from, second.baseline_to), (day(16), day(21)), "the second is measured against the first's days");
    assert!((second.per_call.ratio() - 2.0).abs() < 1e-9);
}
