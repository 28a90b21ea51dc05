//! Absurd numbers cannot make spend vanish: costs of `1e308` (which would sum
//! to infinity, written as `null` by JSON and read back as 0), negative,
//! not-a-number and infinite values are read as missing and counted, and the
//! real spend reaches the analysis and every JSON file whole and finite.

use super::*;
use crate::contract::MAX_COST_USD;
use crate::source::jsonl;
use chrono::{TimeZone, Utc};
use serde_json::{json, Value};
use std::collections::BTreeMap;

/// Costs no call can have, as numbers and as the strings SDKs send.
fn absurd() -> Vec<Value> {
    vec![json!(1e308), json!(1.7976931348623157e308), json!(-1e300), json!(-0.5), json!("1e308"), json!("-1e300"), json!("inf"), json!("-inf"), json!("NaN"), json!("Infinity"), json!(MAX_COST_USD * 2.0)]
}

/// One generation as a JSONL line; `cost` as given, or none.
fn line(n: usize, trace: &str, cost: &Value, tokens: u64) -> String {
    let ts = Utc.with_ymd_and_hms(2026, 11, 10, 12, 0, 0).unwrap() + chrono::Duration::seconds(n as i64);
    json!({"uuid": format!("limit-{n:05}"), "event": "$ai_generation", "distinct_id": "d", "timestamp": ts.to_rfc3339(),
        "properties": {"$ai_trace_id": trace, "$ai_span_name": "answer", "$ai_model": "gpt-4o", "$ai_provider": "openai",
            "$ai_input_tokens": tokens, "$ai_output_tokens": tokens, "$ai_total_cost_usd": cost, "$ai_latency": if n.is_multiple_of(2) { cost.clone() } else { json!(1.5) }}})
    .to_string()
}

/// The analysis and its files of `lines`, over November 2026's first 30 days.
fn run(lines: &[String]) -> (Analysis, Vec<crate::report::ReportFile>) {
    let (events, skips) = jsonl::parse(&lines.join("\n"));
    assert_eq!(skips.count, 0, "every line is an event");
    let source = MemorySource::from_events(events);
    let window = Window::ending_at(Utc.with_ymd_and_hms(2026, 12, 1, 0, 0, 0).unwrap(), 30);
    let fetched = futures::executor::block_on(pipeline::fetch(&source, window, &Settings::default(), &mut |_| {})).expect("fetch");
    let request = Request { window, settings: Settings::default(), origin: Origin { label: "Limits".into(), posthog: None }, prior: None };
    let a = pipeline::analyse(&fetched.dataset, &request, &Prices::bundled());
    let files = pipeline::write(&a);
    (a, files)
}

/// Every number under a key naming money (`usd`, `cost`), by path; `null` kept.
fn money(v: &Value, path: String, out: &mut Vec<(String, Value)>) {
    match v {
        Value::Object(m) => m.iter().for_each(|(k, v)| {
            let p = format!("{path}.{k}");
            if (k.contains("usd") || k.contains("cost")) && (v.is_number() || v.is_null()) {
                out.push((p.clone(), v.clone()));
            }
            money(v, p, out)
        }),
        Value::Array(a) => a.iter().enumerate().for_each(|(i, v)| money(v, format!("{path}[{i}]"), out)),
        _ => {}
    }
}

#[test]
fn absurd_costs_are_missing_and_real_spend_stays_whole_and_finite() {
    // 300 real calls near the per-call limit, so the sum is large but real.
    let real: Vec<(f64, String)> = (0..300).map(|i| (MAX_COST_USD - (i % 7) as f64, line(i, &format!("t{}", i % 30), &json!(MAX_COST_USD - (i % 7) as f64), 1000))).collect();
    let expected: f64 = real.iter().map(|(c, _)| c).sum();
    let clean: Vec<String> = real.iter().map(|(_, l)| l.clone()).collect();
    // The absurd calls carry no tokens, so nothing is backfilled for them.
    let hostile: Vec<String> = clean.iter().cloned().chain(absurd().iter().enumerate().map(|(k, c)| line(1000 + k, &format!("t{}", k % 30), c, 0))).collect();

    let (ca, cfiles) = run(&clean);
    let (ha, hfiles) = run(&hostile);
    println!("real spend {expected}; clean total {}; hostile total {}; bad costs {:?}", ca.metrics.totals.cost_usd, ha.metrics.totals.cost_usd, ha.overview.quality.bad_values.get("$ai_total_cost_usd"));
    for a in [&ca, &ha] {
        assert!(a.metrics.totals.cost_usd.is_finite() && (a.metrics.totals.cost_usd - expected).abs() < 1e-6 * expected, "total {}", a.metrics.totals.cost_usd);
        let by_op: f64 = a.metrics.by_operation.iter().map(|g| g.totals.cost_usd).sum();
        assert!((by_op - expected).abs() < 1e-6 * expected, "by operation {by_op}");
    }
    assert_eq!(ha.metrics.totals.calls, (300 + absurd().len()) as u64, "absurd calls still count as calls");
    assert_eq!(ha.overview.quality.bad_values.get("$ai_total_cost_usd"), Some(&(absurd().len() as u64)), "{:?}", ha.overview.quality.bad_values);
    assert!(ha.overview.quality.bad_values.get("$ai_latency").is_some_and(|n| *n > 0), "absurd latencies counted");

    // In every JSON file, each money figure the clean run writes as a number
    // is a number in the hostile run too: no infinity became `null`.
    let mut checked = 0;
    for (c, h) in cfiles.iter().zip(&hfiles).filter(|(c, _)| c.path.ends_with(".json")) {
        assert!(!h.content.contains("Infinity") && !h.content.contains("NaN"), "{}", h.path);
        let (mut cm, mut hm) = (Vec::new(), Vec::new());
        money(&serde_json::from_str(&c.content).unwrap(), String::new(), &mut cm);
        money(&serde_json::from_str(&h.content).unwrap(), String::new(), &mut hm);
        let hm: BTreeMap<String, Value> = hm.into_iter().collect();
        for (path, v) in cm.iter().filter(|(_, v)| v.is_number()) {
            if let Some(hv) = hm.get(path) {
                assert!(hv.as_f64().is_some_and(f64::is_finite), "{}{path}: {v} in the clean run, {hv} with absurd costs", h.path);
                checked += 1;
            }
        }
    }
    println!("{checked} money figures compared across the JSON files");
    assert!(checked > 20, "the JSON files hold money figures: {checked}");
}
