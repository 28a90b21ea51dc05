use super::*;
use crate::analysis::dataset::{Dataset, Overview, RollupRow, TokenSums, Window};
use crate::analysis::pricing::PriceTable;
use crate::analysis::{analyze, Origin, Settings};
use chrono::{NaiveDate, TimeZone, Utc};

/// An analysis with one operation `op`: `calls` calls costing `cost`, `errors` failed.
fn analysis(calls: u64, cost: f64, errors: u64) -> Analysis {
    let row = |is_error: bool, n: u64, c: f64| RollupRow {
        day: NaiveDate::from_ymd_opt(2026, 11, 5).unwrap(),
        operation: "op".into(),
        model: "gpt-4o".into(),
        provider: "openai".into(),
        is_error,
        generations: n,
        cost_usd: c,
        tokens: TokenSums { input: n * 1000, ..TokenSums::default() },
        ..RollupRow::default()
    };
    let data = Dataset {
        window: Window { start: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(), end: Utc.with_ymd_and_hms(2026, 11, 11, 0, 0, 0).unwrap() },
        overview: Overview::default(),
        rollup: vec![row(false, calls - errors, cost), row(true, errors, 0.0)],
        latency: vec![],
        trace_ops: vec![],
        prefixes: vec![],
        errors: vec![],
        generations: vec![],
        sampling: None,
        signals: vec![], segments: vec![],
    };
    analyze(&data, &Settings::default(), &Origin::default(), PriceTable::bundled())
}

fn prior(recs: Vec<PriorRecommendation>) -> FollowUp {
    FollowUp::of(&analysis(1000, 10.0, 10), recs)
}

fn rec(id: &str, status: Status, target: f64) -> PriorRecommendation {
    PriorRecommendation { id: id.into(), title: id.into(), status, metric: Some(Metric::CostPerCall { operation: "op".into() }), baseline: Some(0.01), target: Some(target), on: None, reason: String::new() }
}

#[test]
fn first_analysis_has_no_history() {
    let h = compare(None, &analysis(1000, 10.0, 10));
    assert!(!h.has_prior && h.targets.is_empty() && h.regressions.is_empty());
}

#[test]
fn targets_hit_or_miss_with_numbers() {
    let p = prior(vec![rec("a", Status::Shipped, 0.008), rec("b", Status::Shipped, 0.004), rec("c", Status::Rejected, 0.004)]);
    let h = compare(Some(&p), &analysis(1000, 6.0, 10));
    let by_id = |id: &str| h.targets.iter().find(|t| t.id == id).unwrap();
    assert!(by_id("a").hit, "0.006 per call meets 0.008");
    assert!(!by_id("b").hit, "0.006 per call misses 0.004");
    assert!((by_id("a").current.unwrap() - 0.006).abs() < 1e-12);
    assert!(h.targets.iter().all(|t| t.id != "c"), "rejected fixes have no target to check");
    assert_eq!(h.settled.len(), 3);
}

#[test]
fn a_truncation_target_is_checked_against_the_failure_modes() {
    let truncation = |target: f64| PriorRecommendation { metric: Some(Metric::TruncationRate { operation: "op".into() }), ..rec("t", Status::Shipped, target) };
    let mut now = analysis(1000, 10.0, 10);
    now.failures.outputs = vec![crate::analysis::failures::OutputHealth { operation: "op".into(), generations: 1000, truncated: 30, empty: 0, output_cv: None, trace_ids: vec![] }];
    let p = prior(vec![truncation(0.01)]);
    let t = &compare(Some(&p), &now).targets[0];
    assert_eq!((t.current, t.hit), (Some(0.03), false), "3% of calls cut off misses a 1% target");
    assert!(compare(Some(&prior(vec![truncation(0.05)])), &now).targets[0].hit);
    now.failures.outputs.clear();
    assert_eq!(compare(Some(&p), &now).targets[0].current, None, "the operation is gone");
}

#[test]
fn regressions_need_a_real_rise() {
    let p = prior(vec![]);
    assert!(compare(Some(&p), &analysis(1000, 11.0, 12)).regressions.is_empty(), "10% dearer, 0.2 points more errors: noise");
    let h = compare(Some(&p), &analysis(1000, 13.0, 40));
    let what: Vec<String> = h.regressions.iter().map(|r| r.metric.label()).collect();
    assert_eq!(what, ["cost per call of op", "error rate of op"]);
    assert!(compare(Some(&p), &analysis(40, 13.0, 30)).regressions.is_empty(), "too few calls to judge");
}

#[test]
fn follow_up_round_trips_and_refuses_other_files() {
    let p = prior(vec![rec("a", Status::Open, 0.005)]);
    let json = serde_json::to_string_pretty(&p).unwrap();
    assert_eq!(FollowUp::parse(&json).unwrap(), p);
    assert!(FollowUp::parse("{\"format\": \"other\"}").is_err());
    let wrong = json.replace(FORMAT, "trace-optimizer/analysis@9");
    assert!(FollowUp::parse(&wrong).unwrap_err().contains("unknown format"));
}

#[test]
fn metrics_round_trip_through_analysis_json_as_kind_and_operation() {
    let op = || "draft".to_string();
    let all = [
        Metric::CostPerCall { operation: op() },
        Metric::ErrorRate { operation: op() },
        Metric::InputTokensPerCall { operation: op() },
        Metric::P95Latency { operation: op() },
        Metric::MonthlyCost { operation: op() },
        Metric::TruncationRate { operation: op() },
    ];
    for m in all {
        // Fails to compile when a variant is added: it belongs in `all`
        // and in `MetricKind`, which reads it back.
        match &m {
            Metric::CostPerCall { .. }
            | Metric::ErrorRate { .. }
            | Metric::InputTokensPerCall { .. }
            | Metric::P95Latency { .. }
            | Metric::MonthlyCost { .. }
            | Metric::TruncationRate { .. } => {}
        }
        let json = serde_json::to_value(&m).unwrap();
        assert_eq!(json["operation"], "draft");
        assert_eq!(serde_json::from_value::<Metric>(json).unwrap(), m);
    }
    assert_eq!(serde_json::to_value(Metric::P95Latency { operation: op() }).unwrap(), serde_json::json!({"kind": "p95_latency", "operation": "draft"}));
    assert!(serde_json::from_str::<Metric>(r#"{"kind": "mood", "operation": "draft"}"#).is_err());
    assert!(serde_json::from_str::<Metric>(r#"{"kind": "error_rate"}"#).is_err());
}

fn day(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap()
}

#[test]
fn snoozed_fixes_are_proposed_again_and_their_snooze_carries_until_it_ends() {
    let snoozed = |id: &str, until: &str| PriorRecommendation { on: Some(day(until)), ..rec(id, Status::Snoozed, 0.005) };
    // The current window ends on 2026-11-11.
    let p = prior(vec![snoozed("later", "2026-11-20"), snoozed("over", "2026-11-05"), rec("done", Status::Shipped, 0.005)]);
    let h = compare(Some(&p), &analysis(1000, 10.0, 10));
    assert_eq!(h.settled.iter().map(|r| r.id.as_str()).collect::<Vec<_>>(), ["done"], "a snooze settles nothing");
    assert_eq!(h.marks.iter().map(|m| (m.id.as_str(), m.on)).collect::<Vec<_>>(), [("later", Some(day("2026-11-20")))], "only the snooze that has not ended carries over");
    assert_eq!(h.targets.len(), 3, "a snoozed fix's target is still checked");
}

#[test]
fn a_mark_replaces_the_earlier_one_and_an_open_mark_withdraws_it() {
    let h = History::default();
    let mark = |status, reason: &str| Mark { id: "a".into(), status, on: None, reason: reason.into() };
    let h = h.with_mark(mark(Status::Rejected, "too risky"));
    assert_eq!(h.mark("a").map(|m| m.reason.as_str()), Some("too risky"));
    let h = h.with_mark(Mark { on: Some(day("2026-11-20")), ..mark(Status::Shipped, "") });
    assert_eq!(h.marks.len(), 1);
    assert_eq!(h.mark("a").map(|m| (m.status, m.on)), Some((Status::Shipped, Some(day("2026-11-20")))));
    assert!(h.with_mark(mark(Status::Open, "")).marks.is_empty());
}

#[test]
fn a_marked_record_keeps_its_day_and_reason_through_analysis_json() {
    let shipped = rec("a", Status::Open, 0.005).marked(Some(&Mark { id: "a".into(), status: Status::Shipped, on: Some(day("2026-11-20")), reason: String::new() }));
    let rejected = rec("b", Status::Open, 0.005).marked(Some(&Mark { id: "b".into(), status: Status::Rejected, on: None, reason: "quality first".into() }));
    let untouched = rec("c", Status::Open, 0.005).marked(None);
    let json = serde_json::to_value(prior(vec![shipped.clone(), rejected.clone(), untouched.clone()])).unwrap();
    assert_eq!(json["recommendations"][0]["on"], "2026-11-20");
    assert_eq!(json["recommendations"][1]["reason"], "quality first");
    assert!(json["recommendations"][2].get("on").is_none() && json["recommendations"][2].get("reason").is_none(), "an open record writes neither");
    let back = FollowUp::parse(&json.to_string()).unwrap();
    assert_eq!(back.recommendations, [shipped, rejected, untouched]);
}
