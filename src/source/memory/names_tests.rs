//! Names cut to [`NAME_CHARS`] and grouped past the window's top operations
//! and models: a flood of made-up names cannot push real spend out.

use super::*;
use crate::source::RollupPage;
use chrono::{DateTime, TimeZone, Utc};
use futures::executor::block_on;
use serde_json::{json, Value};

fn at(day: u32, s: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, day, 0, 0, 0).unwrap() + chrono::Duration::seconds(i64::from(s))
}

fn ev(n: usize, ts: DateTime<Utc>, props: Value) -> Event {
    Event { uuid: format!("u{n:06}"), event: "$ai_generation".into(), distinct_id: "d".into(), timestamp: ts, properties: props.as_object().unwrap().clone() }
}

/// Real operations (name, calls, cost per call) on day 10, with day 11 holding
/// only the first one.
const REAL: [(&str, usize, f64); 3] = [("plan", 50, 0.02), ("write", 40, 0.05), ("review", 30, 0.01)];
const FLOOD: usize = 5_000;
const FLOOD_MODELS: usize = 100;

/// The real operations, then 5,000 one-call span names on 100 made-up models,
/// each call at the same cost (so the cut falls among ties).
fn events() -> Vec<Event> {
    let mut out = Vec::new();
    for (op, calls, cost) in REAL {
        for i in 0..calls {
            out.push(ev(out.len(), at(10, i as u32), json!({"$ai_trace_id": format!("t-{op}-{}", i % 5), "$ai_span_name": op, "$ai_model": "gpt-4o", "$ai_total_cost_usd": cost, "$ai_latency": 1.0})));
        }
    }
    out.push(ev(out.len(), at(11, 0), json!({"$ai_trace_id": "t-next", "$ai_span_name": "plan", "$ai_model": "gpt-4o", "$ai_total_cost_usd": 0.02})));
    for k in 0..FLOOD {
        let props = json!({"$ai_trace_id": format!("f-{}", k % 20), "$ai_span_name": format!("made-up-{:05}", (k * 7919) % FLOOD), "$ai_model": format!("fake-{}", k % FLOOD_MODELS), "$ai_total_cost_usd": 0.0001, "$ai_latency": 0.1, "$ai_is_error": k % 100 == 0});
        out.push(ev(out.len(), at(10, 100 + k as u32), props));
    }
    out
}

fn day(d: u32) -> Window {
    Window { start: at(d, 0), end: at(d + 1, 0) }
}

fn whole(src: &MemorySource, w: &Window) -> Vec<RollupRow> {
    block_on(src.rollup(w, &RollupPage { after: None, limit: u64::MAX - 1 })).unwrap().rows
}

#[test]
fn a_flood_of_names_is_one_other_row_and_real_spend_stays_whole() {
    let events = events();
    let src = MemorySource::from_events(events.clone());
    let w = day(10);
    let rows = whole(&src, &w);
    let by = |f: fn(&RollupRow) -> &str| {
        let mut m: BTreeMap<String, (u64, f64)> = BTreeMap::new();
        for r in &rows {
            let e = m.entry(f(r).to_string()).or_default();
            e.0 += r.generations;
            e.1 += r.cost_usd;
        }
        m
    };
    let ops = by(|r| r.operation.as_str());
    let models = by(|r| r.model.as_str());
    assert_eq!((ops.len(), models.len()), (TOP_OPERATIONS + 1, TOP_MODELS + 1));
    // Every real operation by name, with all its calls and spend.
    for (op, calls, cost) in REAL {
        let (n, c) = ops[op];
        assert_eq!(n, calls as u64, "{op}");
        assert!((c - calls as f64 * cost).abs() < 1e-9, "{op}: {c}");
    }
    // The rest of the top are the flood's names first by name (equal spend), and the others are one row.
    let mut flood: Vec<String> = (0..FLOOD).map(|k| format!("made-up-{k:05}")).collect();
    flood.sort();
    let named: Vec<&String> = ops.keys().filter(|o| o.starts_with("made-up-")).collect();
    assert_eq!(named, flood.iter().take(TOP_OPERATIONS - REAL.len()).collect::<Vec<_>>());
    let other = ops[OTHER_OPERATIONS];
    assert_eq!(other.0, (FLOOD - (TOP_OPERATIONS - REAL.len())) as u64);
    assert_eq!(models[OTHER_MODELS].0, (FLOOD - (TOP_MODELS - 1) * FLOOD / FLOOD_MODELS) as u64, "gpt-4o and 49 made-up models named");
    // Totals match the events.
    let in_day: Vec<&Event> = events.iter().filter(|e| w.contains(e.timestamp)).collect();
    let cost: f64 = in_day.iter().filter_map(|e| e.properties["$ai_total_cost_usd"].as_f64()).sum();
    assert_eq!(ops.values().map(|v| v.0).sum::<u64>(), in_day.len() as u64);
    assert!((ops.values().map(|v| v.1).sum::<f64>() - cost).abs() < 1e-9 && (models.values().map(|v| v.1).sum::<f64>() - cost).abs() < 1e-9);
}

#[test]
fn every_query_answers_with_the_same_names() {
    let src = MemorySource::from_events(events());
    let w = day(10);
    let names: BTreeSet<String> = whole(&src, &w).into_iter().map(|r| r.operation).collect();
    let o = block_on(src.overview(&w)).unwrap();
    let rows = block_on(src.trace_ops(&w, &TraceOpsPage { limit: u64::MAX - 1, ..TraceOpsPage::default() })).unwrap().rows;
    assert_eq!(rows.len() as u64, o.trace_operations, "the other operation's calls in a trace are one row");
    assert_eq!(rows.iter().map(|r| r.generations).sum::<u64>(), o.generations);
    assert!(rows.iter().all(|r| names.contains(&r.operation)));
    let latency = block_on(src.latency(&w)).unwrap();
    assert_eq!(latency.len(), TOP_OPERATIONS + 1 + TOP_MODELS + 1);
    let errors = block_on(src.errors(&w)).unwrap();
    assert!(errors.iter().any(|e| e.operation == OTHER_OPERATIONS) && errors.iter().all(|e| names.contains(&e.operation)));
    let ids: Vec<String> = rows.iter().map(|r| r.trace_id.clone()).collect::<BTreeSet<_>>().into_iter().collect();
    let gens = block_on(src.generations(&w, &ids)).unwrap().generations;
    assert!(gens.iter().all(|g| names.contains(&g.operation)) && gens.iter().any(|g| g.model == OTHER_MODELS));
    // Another window is ranked on its own: day 11 holds one operation, named.
    let next = whole(&src, &day(11));
    assert_eq!(next.iter().map(|r| (r.operation.as_str(), r.model.as_str())).collect::<Vec<_>>(), [("plan", "gpt-4o")]);
    assert_eq!(whole(&src, &w).len(), whole(&MemorySource::from_events(events()), &w).len(), "the first window's answer is kept");
}

#[test]
fn long_names_are_cut() {
    let long = "é".repeat(100_000);
    let src = MemorySource::from_events([ev(0, at(10, 0), json!({"$ai_trace_id": "t", "$ai_span_name": long, "$ai_model": long, "$ai_total_cost_usd": 1.0}))]);
    let rows = whole(&src, &day(10));
    let cut: String = long.chars().take(NAME_CHARS as usize).collect();
    assert_eq!((rows[0].operation.as_str(), rows[0].model.as_str()), (cut.as_str(), cut.as_str()));
    assert_eq!(rows[0].operation.chars().count(), 200);
}

#[test]
fn an_operation_posthog_could_not_price_outranks_one_call_names_of_no_cost() {
    // 30 unpriced calls of a real step among 5,000 one-call names that also
    // carry no cost: ranked by calls after spend, the real step is named.
    let mut events: Vec<Event> = (0..30).map(|i| ev(i, at(10, i as u32), json!({"$ai_trace_id": "t", "$ai_span_name": "unpriced_step", "$ai_model": "in-house"}))).collect();
    for k in 0..FLOOD {
        events.push(ev(30 + k, at(10, 100 + k as u32), json!({"$ai_trace_id": "f", "$ai_span_name": format!("a-{k:05}"), "$ai_model": "in-house"})));
    }
    let rows = whole(&MemorySource::from_events(events), &day(10));
    let step: u64 = rows.iter().filter(|r| r.operation == "unpriced_step").map(|r| r.generations).sum();
    assert_eq!(step, 30, "the real step keeps its name and calls");
    assert_eq!(rows.iter().filter(|r| r.operation == OTHER_OPERATIONS).map(|r| r.generations).sum::<u64>(), (FLOOD - (TOP_OPERATIONS - 1)) as u64);
}
