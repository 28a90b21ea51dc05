use super::*;
use chrono::{DateTime, TimeZone, Utc};
use futures::executor::block_on;
use serde_json::{json, Value};

fn at(h: u32, m: u32) -> DateTime<Utc> {
    Utc.with_ymd_and_hms(2026, 11, 10, h, m, 0).unwrap()
}

fn ev(uuid: &str, ts: DateTime<Utc>, props: Value) -> Event {
    Event { uuid: uuid.into(), event: "$ai_generation".into(), distinct_id: "d".into(), timestamp: ts, properties: props.as_object().unwrap().clone() }
}

fn window() -> Window {
    Window { start: at(0, 0), end: at(23, 0) }
}

fn source() -> MemorySource {
    let sys = "S".repeat(7000);
    let input = |user: &str| json!([{"role": "system", "content": sys}, {"role": "user", "content": user}]);
    MemorySource::from_events(vec![
        ev("a1", at(1, 0), json!({"$ai_trace_id": "t1", "$ai_span_name": "draft", "$ai_model": "gpt-4o", "$ai_provider": "openai",
            "$ai_input_tokens": 100, "$ai_output_tokens": 10, "$ai_total_cost_usd": 0.5, "$ai_latency": 1.0, "$ai_input": input("hello")})),
        ev("a2", at(1, 1), json!({"$ai_trace_id": "t1", "$ai_span_name": "draft", "$ai_model": "gpt-4o", "$ai_provider": "openai",
            "$ai_input_tokens": "300", "$ai_output_tokens": 10, "$ai_total_cost_usd": "0.25", "$ai_latency": 3.0, "$ai_input": input("hello")})),
        ev("a3", at(2, 0), json!({"$ai_trace_id": "t2", "$ai_span_name": "draft", "$ai_model": "gpt-4o", "$ai_provider": "openai",
            "$ai_input_tokens": 200, "$ai_output_tokens": 50, "$ai_max_tokens": 50, "$ai_latency": 2.0, "$ai_input": input("other")})),
        ev("a4", at(3, 0), json!({"$ai_trace_id": "t2", "$ai_model": "mystery-1", "$ai_provider": "acme", "$ai_is_error": true,
            "$ai_http_status": 429, "$ai_error": "Rate limited", "$ai_latency": 0.5})),
        ev("a5", at(23, 30), json!({"$ai_trace_id": "t9", "$ai_span_name": "draft", "$ai_model": "gpt-4o", "$ai_total_cost_usd": 9.0})),
    ])
}

#[test]
fn overview_counts_only_the_window() {
    let o = block_on(source().overview(&window())).unwrap();
    assert_eq!((o.generations, o.traces, o.trace_operations), (4, 2, 3));
    assert_eq!((o.first_seen, o.last_seen), (Some(at(1, 0)), Some(at(3, 0))));
    assert_eq!(o.with_payloads, 3, "a4 records no prompt or output");
}

#[test]
fn rollup_sums_and_separates_unpriced_calls() {
    let rows = block_on(source().rollup(&window(), &crate::source::RollupPage { after: None, limit: 100 })).unwrap().rows;
    assert_eq!(rows.len(), 2);
    let draft = &rows[0];
    assert_eq!((draft.operation.as_str(), draft.generations, draft.unpriced), ("draft", 3, 1));
    assert!((draft.cost_usd - 0.75).abs() < 1e-12, "string costs are cast like toFloat");
    assert_eq!(draft.tokens.input, 600);
    assert_eq!(draft.unpriced_tokens.input, 200);
    assert!((draft.latency_s - 6.0).abs() < 1e-12);
    let err = &rows[1];
    assert_eq!((err.operation.as_str(), err.is_error, err.model.as_str()), ("model mystery-1", true, "mystery-1"), "no span name, no prompt: named by its model");
}

#[test]
fn latency_quantiles_interpolate() {
    let rows = block_on(source().latency(&window())).unwrap();
    let draft = rows.iter().find(|r| r.scope == LatencyScope::Operation && r.key == "draft").unwrap();
    assert_eq!((draft.generations, draft.p50, draft.max), (3, 2.0, 3.0));
    assert!((draft.p95 - 2.9).abs() < 1e-12);
    assert!(rows.iter().any(|r| r.scope == LatencyScope::Model && r.key == "mystery-1"));
}

#[test]
fn trace_rows_flag_duplicates_truncation_and_growth() {
    let page = TraceOpsPage { limit: 10, ..TraceOpsPage::default() };
    let rows = block_on(source().trace_ops(&window(), &page)).unwrap().rows;
    assert_eq!(rows.iter().map(|r| (r.trace_id.as_str(), r.operation.as_str())).collect::<Vec<_>>(), [("t1", "draft"), ("t2", "draft"), ("t2", "model mystery-1")]);
    let t1 = &rows[0];
    assert_eq!((t1.generations, t1.duplicate_inputs, t1.first_input_tokens, t1.last_input_tokens, t1.max_input_tokens), (2, 1, 100, 300, 300));
    assert_eq!(rows[1].truncated, 1, "output reached max_tokens");
    assert_eq!((rows[1].unpriced, rows[2].errors), (1, 1));
}

#[test]
fn trace_rows_page_by_keys() {
    let s = source();
    let first = block_on(s.trace_ops(&window(), &TraceOpsPage { limit: 2, ..TraceOpsPage::default() })).unwrap();
    assert!(first.has_more);
    let last = first.rows.last().map(|r| (r.trace_id.clone(), r.operation.clone()));
    let second = block_on(s.trace_ops(&window(), &TraceOpsPage { after: last, limit: 2, ..TraceOpsPage::default() })).unwrap();
    assert!(!second.has_more);
    assert_eq!(second.rows.len(), 1);
    assert_eq!(second.rows[0].operation, "model mystery-1");
}

fn page(buckets: (u16, u16), sample: Option<TraceSample>) -> TraceOpsPage {
    TraceOpsPage { limit: 10, buckets, sample, ..TraceOpsPage::default() }
}

fn traces(rows: &[TraceOpRow]) -> Vec<&str> {
    rows.iter().map(|r| r.trace_id.as_str()).collect::<BTreeSet<_>>().into_iter().collect()
}

#[test]
fn sampling_keeps_whole_traces_by_hash_and_the_most_expensive() {
    let s = source();
    let all = block_on(s.trace_ops(&window(), &page((0, 1000), Some(TraceSample { keep_per_mille: 1000, top_traces: 0 })))).unwrap();
    assert_eq!(all.rows.len(), 3);
    let none = block_on(s.trace_ops(&window(), &page((0, 1000), Some(TraceSample { keep_per_mille: 0, top_traces: 0 })))).unwrap();
    assert!(none.rows.is_empty());
    // t1 costs 0.75 and t2 nothing: the top trace stays, with all its operations.
    let top = block_on(s.trace_ops(&window(), &page((0, 1000), Some(TraceSample { keep_per_mille: 0, top_traces: 1 })))).unwrap();
    assert_eq!(traces(&top.rows), ["t1"]);
    // ClickHouse: SELECT cityHash64('t1') % 1000
    assert_eq!(sample_bucket("t1"), 835);
}

#[test]
fn bucket_ranges_split_traces_without_overlap() {
    let s = source();
    let (b1, b2) = (sample_bucket("t1"), sample_bucket("t2"));
    let cut = b1.max(b2);
    let low = block_on(s.trace_ops(&window(), &page((0, cut), None))).unwrap().rows;
    let high = block_on(s.trace_ops(&window(), &page((cut, 1000), None))).unwrap().rows;
    assert_eq!(low.len() + high.len(), 3);
    assert_eq!(traces(&high), [if b1 > b2 { "t1" } else { "t2" }]);
    // A top trace outside the kept buckets is read by the range holding its bucket only.
    let sample = Some(TraceSample { keep_per_mille: 0, top_traces: 1 });
    let in_range = block_on(s.trace_ops(&window(), &page((b1, b1 + 1), sample))).unwrap().rows;
    let elsewhere = block_on(s.trace_ops(&window(), &page((b1 + 1, 1000), sample))).unwrap().rows;
    assert_eq!((traces(&in_range), elsewhere.len()), (vec!["t1"], 0));
}

#[test]
fn prefixes_need_three_calls_and_report_the_shared_length() {
    let sys = "S".repeat(7000);
    let events = (0..4).map(|i| {
        ev(&format!("p{i}"), at(4, i), json!({"$ai_trace_id": format!("t{i}"), "$ai_span_name": "draft", "$ai_model": "m", "$ai_input_tokens": 2000,
            "$ai_input": [{"role": "system", "content": sys}, {"role": "user", "content": format!("q{i}")}]}))
    });
    let events: Vec<Event> = events.collect();
    let rows = block_on(MemorySource::from_events(events.clone()).prefixes(&window())).unwrap();
    assert_eq!(rows.len(), 1);
    // The inputs' JSON texts agree up to the user message's first character.
    let common = format!(r#"[{{"role":"system","content":"{sys}"}},{{"role":"user","content":"q"#).chars().count() as u64;
    assert_eq!((rows[0].generations, rows[0].traces, rows[0].shared_chars), (4, 4, common));
    assert_eq!((rows[0].warm_calls, rows[0].cold_calls), (3, 1), "one call a minute: all but the first find the cache warm");
    assert_eq!((rows[0].input_tokens, rows[0].min_input_chars), (8000, rows[0].input_chars / 4));
    let two = MemorySource::from_events(events.into_iter().take(2));
    assert!(block_on(two.prefixes(&window())).unwrap().is_empty(), "2 calls are not a pattern");
}

/// The prefixes of a group whose prompts are `system` followed by each of `users`.
fn shared_of(system: &str, users: &[&str]) -> u64 {
    let events: Vec<Event> = users
        .iter()
        .enumerate()
        .map(|(i, user)| ev(&format!("p{i}"), at(4, i as u32), json!({"$ai_trace_id": "t", "$ai_span_name": "draft", "$ai_model": "m", "$ai_input": format!("{system}{user}")})))
        .collect();
    let rows = block_on(MemorySource::from_events(events).prefixes(&window())).unwrap();
    assert_eq!(rows.len(), 1);
    rows[0].shared_chars
}

#[test]
fn the_shared_prefix_is_exact_in_characters_and_capped() {
    // 12,000 characters of system prompt, multi-byte, then users that differ
    // inside a character: é (C3 A9) and è (C3 A8) share their first byte only.
    let system = "système ☃ 😀 ".repeat(1000);
    let n = system.chars().count() as u64;
    assert_eq!(shared_of(&system, &["éa", "èb", "éc"]), n);
    assert_eq!(shared_of(&system, &["éa", "éb", "éb"]), n + 1);
    assert_eq!(shared_of(&system, &["same", "same", "same"]), n + 4, "identical prompts share their whole length");
    assert_eq!(shared_of(&system, &["x", "xy", "xyz"]), n + 1, "a prompt that is a prefix of the others");
    let long = "a".repeat(SHARED_PREFIX_MAX_CHARS as usize + 5);
    assert_eq!(shared_of(&long, &["1", "2", "3"]), SHARED_PREFIX_MAX_CHARS);
    // Short prompts group only with identical ones.
    assert_eq!(shared_of("short", &["", "", ""]), 5);
}

#[test]
fn rollup_keeps_the_cost_posthog_recorded() {
    let events = vec![
        ev("r1", at(1, 0), json!({"$ai_trace_id": "t", "$ai_model": "m", "$ai_input_tokens": 100, "$ai_output_tokens": 10, "$ai_input_cost_usd": 0.1, "$ai_output_cost_usd": "0.02"})),
        ev("r2", at(1, 1), json!({"$ai_trace_id": "t", "$ai_model": "m", "$ai_input_tokens": 300, "$ai_output_tokens": 30, "$ai_input_cost_usd": 0.3, "$ai_output_cost_usd": 0.06})),
        ev("r3", at(1, 2), json!({"$ai_trace_id": "t", "$ai_model": "m", "$ai_input_tokens": 500, "$ai_output_tokens": 50, "$ai_input_cost_usd": 0.5})),
        ev("r4", at(1, 3), json!({"$ai_trace_id": "t", "$ai_model": "m", "$ai_input_tokens": 700, "$ai_output_tokens": 70})),
    ];
    let rows = block_on(MemorySource::from_events(events).rollup(&window(), &crate::source::RollupPage { after: None, limit: 1_000 })).unwrap().rows;
    assert_eq!(rows.len(), 1);
    let r = rows[0].recorded;
    assert_eq!((r.calls, r.input_tokens, r.output_tokens), (2, 400, 40), "only calls with both costs");
    assert!((r.input_usd - 0.4).abs() < 1e-12 && (r.output_usd - 0.08).abs() < 1e-12);
}

#[test]
fn errors_group_with_sample_traces() {
    let rows = block_on(source().errors(&window())).unwrap();
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].http_status, rows[0].message.as_str(), rows[0].trace_ids.clone()), (Some(429), "Rate limited", vec!["t2".to_string()]));
}

#[test]
fn generations_of_selected_traces_in_order() {
    let rows = block_on(source().generations(&window(), &["t2".into(), "t1".into()])).unwrap().generations;
    assert_eq!(rows.iter().map(|r| r.uuid.as_str()).collect::<Vec<_>>(), ["a1", "a2", "a3", "a4"]);
    assert!(rows[0].input_head.starts_with("[{\"role\":\"system\""));
    assert_eq!(rows[0].input_hash, rows[1].input_hash);
}

#[test]
fn repeated_uuids_count_once_keeping_the_first() {
    let p = |trace: &str, cost: f64| json!({"$ai_trace_id": trace, "$ai_span_name": "draft", "$ai_total_cost_usd": cost});
    let src = MemorySource::from_events(vec![
        ev("u1", at(1, 0), p("t1", 1.0)),
        ev("u2", at(2, 0), p("t1", 2.0)),
        ev("u1", at(1, 0), p("t1", 1.0)),
        ev("u1", at(4, 0), p("t2", 8.0)),
        ev("u3", at(23, 30), p("t3", 1.0)),
        ev("u3", at(23, 30), p("t3", 1.0)),
    ]);
    assert_eq!(src.all().iter().map(|g| g.uuid.as_str()).collect::<Vec<_>>(), ["u1", "u2", "u3"]);
    let o = block_on(src.overview(&window())).unwrap();
    assert_eq!((o.generations, o.traces), (2, 1), "the first copy of u1 is kept, in trace t1");
    assert_eq!(o.quality.repeated_events, 2, "the repeat at 23:30 lies outside the window");
    let rows = block_on(src.rollup(&window(), &crate::source::RollupPage { after: None, limit: 1_000 })).unwrap().rows;
    assert!((rows.iter().map(|r| r.cost_usd).sum::<f64>() - 3.0).abs() < 1e-12, "a repeat is not summed");
}

#[test]
fn missing_trace_ids_and_dirty_numbers_are_counted_and_read_as_missing() {
    let src = MemorySource::from_events(vec![
        ev("b1", at(1, 0), json!({"$ai_total_cost_usd": -0.47, "$ai_input_tokens": -5, "$ai_output_tokens": 7})),
        ev("b2", at(1, 1), json!({"$ai_trace_id": "", "$ai_total_cost_usd": "NaN", "$ai_latency": 1e9, "$ai_output_tokens": 20_000_000})),
        ev("b3", at(1, 2), json!({"$ai_trace_id": "t1", "$ai_total_cost_usd": 1e308, "$ai_input_tokens": "n/a"})),
        ev("b4", at(1, 3), json!({"$ai_trace_id": "t1", "$ai_total_cost_usd": 0.5, "$ai_input_tokens": 10, "$ai_latency": null})),
    ]);
    let q = block_on(src.overview(&window())).unwrap().quality;
    assert_eq!(q.missing_trace_ids, 2);
    assert_eq!(q.generations_with_bad_values, 3);
    let bad: Vec<(&str, u64)> = q.bad_values.iter().map(|(k, v)| (k.as_str(), *v)).collect();
    assert_eq!(bad, [("$ai_input_tokens", 2), ("$ai_latency", 1), ("$ai_output_tokens", 1), ("$ai_total_cost_usd", 3)]);
    let rows = block_on(src.rollup(&window(), &crate::source::RollupPage { after: None, limit: 1_000 })).unwrap().rows;
    let cost: f64 = rows.iter().map(|r| r.cost_usd).sum();
    assert!((cost - 0.5).abs() < 1e-12, "only the clean cost is summed: {cost}");
    assert_eq!(rows.iter().map(|r| r.unpriced).sum::<u64>(), 3);
    assert_eq!(rows.iter().map(|r| (r.tokens.input, r.tokens.output)).fold((0, 0), |a, b| (a.0 + b.0, a.1 + b.1)), (10, 7));
    assert_eq!(rows.iter().map(|r| r.latency_s).sum::<f64>(), 0.0);
}

/// Each SDK's stop reasons as PostHog stores them (read from posthog-python
/// and posthog-js), with what each means: (SDK, reason, truncated, tool call).
const SDK_STOPS: [(&str, &str, bool, bool); 11] = [
    ("openai chat", "length", true, false),
    ("openai chat", "tool_calls", false, true),
    ("openai chat", "stop", false, false),
    ("openai responses", "incomplete", true, false),
    ("openai responses", "completed", false, false),
    ("anthropic", "max_tokens", true, false),
    ("anthropic", "tool_use", false, true),
    ("vercel ai sdk", "length", true, false),
    ("vercel ai sdk", "tool-calls", false, true),
    ("gemini", "MAX_TOKENS", true, false),
    ("gemini", "STOP", false, false),
];

#[test]
fn every_sdks_stop_reasons_count_as_truncations_and_tool_calls() {
    // One trace per call, none carrying `$ai_max_tokens` (the Responses API and
    // Gemini never send it), so only the stop reason can mark a truncation.
    let events = SDK_STOPS.iter().enumerate().map(|(i, (_, reason, _, _))| {
        ev(&format!("s{i}"), at(1, i as u32), json!({"$ai_trace_id": format!("t{i:02}"), "$ai_span_name": "op", "$ai_output_tokens": 4096, "$ai_stop_reason": reason}))
    });
    let rows = block_on(MemorySource::from_events(events).trace_ops(&window(), &TraceOpsPage { limit: 100, ..TraceOpsPage::default() })).unwrap().rows;
    assert_eq!(rows.len(), SDK_STOPS.len());
    for (row, (sdk, reason, truncated, tool)) in rows.iter().zip(SDK_STOPS) {
        assert_eq!((row.truncated, row.tool_calls), (u64::from(truncated), u64::from(tool)), "{sdk} {reason}");
    }
}

#[test]
fn reaching_max_tokens_truncates_only_where_the_sdk_sent_it() {
    let call = |uuid: &str, trace: &str, max: Option<u64>| {
        let mut p = json!({"$ai_trace_id": trace, "$ai_output_tokens": 256, "$ai_stop_reason": "completed"});
        if let Some(m) = max {
            p["$ai_max_tokens"] = json!(m);
        }
        ev(uuid, at(1, 0), p)
    };
    let s = MemorySource::from_events([call("m1", "t1", Some(256)), call("m2", "t2", None), call("m3", "t3", Some(0)), call("m4", "t4", Some(257))]);
    let rows = block_on(s.trace_ops(&window(), &TraceOpsPage { limit: 10, ..TraceOpsPage::default() })).unwrap().rows;
    assert_eq!(rows.iter().map(|r| r.truncated).collect::<Vec<_>>(), [1, 0, 0, 0]);
}

#[test]
fn the_code_language_follows_each_sdks_lib() {
    use crate::analysis::recommend::{detect_language, Language};
    // What each SDK sets: Python and Node name themselves in `$lib`; in the
    // browser `$lib` is `web`; all of them send `$ai_lib: posthog-ai`.
    let sdks = [
        (json!({"$lib": "posthog-python", "$ai_lib": "posthog-ai"}), "posthog-python", Language::Python),
        (json!({"$lib": "posthog-node", "$ai_lib": "posthog-ai"}), "posthog-node", Language::TypeScript),
        (json!({"$lib": "web", "$ai_lib": "posthog-ai"}), "web", Language::TypeScript),
    ];
    for (props, lib, language) in sdks {
        let mut p = props;
        p["$ai_trace_id"] = json!("t1");
        let o = block_on(MemorySource::from_events([ev("l1", at(1, 0), p)]).overview(&window())).unwrap();
        assert_eq!(o.libs, [lib]);
        assert_eq!(detect_language(&o.libs), (language, true), "{lib}");
    }
}

#[test]
fn rollup_sums_the_cache_tokens_of_flagged_calls() {
    let call = |uuid: &str, flag: Value, cost: Value| {
        ev(uuid, at(1, 0), json!({"$ai_trace_id": "t1", "$ai_model": "claude-sonnet-4-5", "$ai_provider": "anthropic", "$ai_input_tokens": 10,
            "$ai_cache_read_input_tokens": 100, "$ai_cache_creation_input_tokens": 1000, "$ai_cache_reporting_exclusive": flag, "$ai_total_cost_usd": cost}))
    };
    let s = MemorySource::from_events([
        call("c1", json!(true), json!(0.1)),
        call("c2", json!(false), json!(0.1)),
        call("c3", json!(false), Value::Null),
        call("c4", Value::Null, Value::Null),
        call("c5", json!("yes"), json!(0.1)),
    ]);
    let rows = block_on(s.rollup(&window(), &crate::source::RollupPage { after: None, limit: 10 })).unwrap().rows;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].cache_reporting, CacheReporting { exclusive: 1100, inclusive: 2200, unpriced_exclusive: 0, unpriced_inclusive: 1100 });
}
