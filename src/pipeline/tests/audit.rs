//! The cost audit on a project shaped unlike the demo (a contract-review
//! desk: two Claude operations, a Gemini triage, an OpenAI lookup PostHog
//! left unpriced, a correctly priced control and a caller-priced batch): each
//! known pattern is planted in raw events, and its money is computed here
//! from the raw tokens and the list prices, not through the audit.

use super::*;
use crate::analysis::pricing::audit::{Pattern, PatternFinding};
use crate::source::jsonl;
use chrono::{TimeZone, Utc};
use serde_json::{json, Map, Value};

/// LiteLLM's list prices in the bundled snapshot (USD per token), checked
/// against the table below so that a refreshed snapshot fails loudly.
const SONNET: (f64, f64, f64, f64) = (3e-6, 15e-6, 0.3e-6, 3.75e-6);
const GEMINI: (f64, f64) = (0.3e-6, 2.5e-6);
const GPT_41_MINI: (f64, f64) = (0.4e-6, 1.6e-6);
const GPT_4O: (f64, f64) = (2.5e-6, 10e-6);

struct Project {
    lines: Vec<String>,
    /// Recorded minus true, by pattern, from the raw tokens.
    money: Vec<(Pattern, f64)>,
    recorded: f64,
    backfill: f64,
}

fn line(n: usize, props: Value) -> String {
    let ts = Utc.with_ymd_and_hms(2026, 11, 20, 9, 0, 0).unwrap() + chrono::Duration::seconds(n as i64 * 7);
    let mut p: Map<String, Value> = props.as_object().unwrap().clone();
    p.insert("$ai_trace_id".into(), json!(format!("desk-{:03}", n / 2)));
    json!({"uuid": format!("desk-{n:05}"), "event": "$ai_generation", "distinct_id": "counsel", "timestamp": ts.to_rfc3339(), "properties": p}).to_string()
}

fn project() -> Project {
    let mut p = Project { lines: vec![], money: vec![], recorded: 0.0, backfill: 0.0 };
    let (si, so, sr, sw) = SONNET;
    let mut n = 0;
    let mut next = || {
        n += 1;
        n
    };
    // LangChain on Claude: input counted with the cache tokens inside; PostHog
    // reads it as exclusive and bills the cache tokens again at the input price.
    let mut inside = 0.0;
    for i in 0..40u64 {
        let (fresh, out) = (500 + 13 * i, 120 + i);
        let (read, write) = if i % 4 == 0 { (0, 3_000) } else { (3_000, 0) };
        let reported = fresh + read + write;
        let input_cost = reported as f64 * si + read as f64 * sr + write as f64 * sw;
        let output_cost = out as f64 * so;
        p.recorded += input_cost + output_cost;
        inside += (read + write) as f64 * si;
        p.lines.push(line(next(), json!({"$ai_span_name": "clause_review", "$ai_model": "claude-sonnet-4-5", "$ai_provider": "anthropic", "$ai_framework": "langchain",
            "$ai_input_tokens": reported, "$ai_output_tokens": out, "$ai_cache_read_input_tokens": read, "$ai_cache_creation_input_tokens": write,
            "$ai_input_cost_usd": input_cost, "$ai_output_cost_usd": output_cost, "$ai_total_cost_usd": input_cost + output_cost, "$ai_cost_model_source": "openrouter"})));
    }
    p.money.push((Pattern::CacheInsideInput, inside));
    // The Anthropic SDK with 1-hour cache writes, priced at the 5-minute rate.
    let mut one_hour = 0.0;
    for i in 0..30u64 {
        let (input, out, write) = (800 + i, 300, 5_000);
        let w1h = if i % 2 == 0 { write } else { 0 };
        let input_cost = input as f64 * si + write as f64 * sw;
        let output_cost = out as f64 * so;
        p.recorded += input_cost + output_cost;
        one_hour -= w1h as f64 * (2.0 * si - sw);
        p.lines.push(line(next(), json!({"$ai_span_name": "memo_draft", "$ai_model": "claude-sonnet-4-5", "$ai_provider": "anthropic",
            "$ai_input_tokens": input, "$ai_output_tokens": out, "$ai_cache_creation_input_tokens": write, "$ai_cache_creation_1h_input_tokens": w1h,
            "$ai_input_cost_usd": input_cost, "$ai_output_cost_usd": output_cost, "$ai_total_cost_usd": input_cost + output_cost, "$ai_cost_model_source": "openrouter"})));
    }
    p.money.push((Pattern::OneHourCacheWrites, one_hour));
    // Gemini 2.5 with reasoning inside the output count; PostHog adds it again.
    let (gi, go) = GEMINI;
    let mut twice = 0.0;
    for i in 0..25u64 {
        let (input, reasoning) = (2_000 + 40 * i, 400 + 10 * i);
        let out = reasoning + 150;
        let input_cost = input as f64 * gi;
        let output_cost = (out + reasoning) as f64 * go;
        p.recorded += input_cost + output_cost;
        twice += reasoning as f64 * go;
        p.lines.push(line(next(), json!({"$ai_span_name": "triage", "$ai_model": "gemini-2.5-flash", "$ai_provider": "gemini",
            "$ai_input_tokens": input, "$ai_output_tokens": out, "$ai_reasoning_tokens": reasoning,
            "$ai_input_cost_usd": input_cost, "$ai_output_cost_usd": output_cost, "$ai_total_cost_usd": input_cost + output_cost, "$ai_cost_model_source": "manual"})));
    }
    p.money.push((Pattern::GeminiReasoningTwice, twice));
    // A model PostHog did not price: no cost, no source.
    let (mi, mo) = GPT_41_MINI;
    for i in 0..20u64 {
        let (input, out) = (1_500 + i, 200);
        p.backfill += input as f64 * mi + out as f64 * mo;
        p.lines.push(line(next(), json!({"$ai_span_name": "lookup", "$ai_model": "gpt-4.1-mini", "$ai_provider": "openai", "$ai_input_tokens": input, "$ai_output_tokens": out})));
    }
    p.money.push((Pattern::Unpriced, -p.backfill));
    // Priced right, by PostHog and by the caller: nothing to find.
    let (oi, oo) = GPT_4O;
    for i in 0..30u64 {
        let (input, out) = (900 + i, 90);
        let (input_cost, output_cost) = (input as f64 * oi, out as f64 * oo);
        p.recorded += input_cost + output_cost;
        let mut props = json!({"$ai_span_name": if i < 20 { "control" } else { "batch" }, "$ai_model": "gpt-4o", "$ai_provider": "openai", "$ai_input_tokens": input, "$ai_output_tokens": out,
            "$ai_input_cost_usd": input_cost, "$ai_output_cost_usd": output_cost, "$ai_total_cost_usd": input_cost + output_cost});
        if i < 20 {
            props["$ai_cost_model_source"] = json!("openrouter");
        }
        p.lines.push(line(next(), props));
    }
    p
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * b.abs().max(1e-6)
}

#[test]
fn each_planted_pattern_is_found_with_the_money_its_raw_tokens_give() {
    let t = PriceTable::bundled();
    let price = |k: &str| t.entry(k).unwrap_or_else(|| panic!("{k} in the snapshot")).price.clone();
    let s = price("claude-sonnet-4-5");
    assert_eq!((s.input, s.output, s.cache_read, s.cache_write), (SONNET.0, SONNET.1, Some(SONNET.2), Some(SONNET.3)));
    assert_eq!((price("gemini/gemini-2.5-flash").input, price("gemini/gemini-2.5-flash").output), GEMINI);
    assert_eq!((price("gpt-4.1-mini").input, price("gpt-4.1-mini").output), GPT_41_MINI);
    assert_eq!((price("gpt-4o").input, price("gpt-4o").output), GPT_4O);

    let p = project();
    let (events, skips) = jsonl::parse(&p.lines.join("\n"));
    assert_eq!(skips.count, 0);
    let source = MemorySource::from_events(events);
    let window = Window::ending_at(Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap(), 7);
    let fetched = futures::executor::block_on(pipeline::fetch(&source, window, &Settings::default(), &mut |_| {})).expect("fetch");
    let request = Request { window, settings: Settings::default(), origin: Origin { label: "Contract desk".into(), posthog: None }, prior: None };
    let a = pipeline::analyse(&fetched.dataset, &request, &Prices::bundled());
    let audit = &a.audit;
    for f in &audit.patterns {
        println!("{:?}: {} calls, {} tokens, recorded minus true {:.6}, {:?}", f.pattern, f.calls, f.tokens, f.recorded_minus_true_usd, f.operations);
    }
    let found = |p: Pattern| audit.patterns.iter().find(|f| f.pattern == Some(p)).unwrap_or_else(|| panic!("{p:?} not found"));
    for (pattern, money) in &p.money {
        let f: &PatternFinding = found(*pattern);
        assert!(near(f.recorded_minus_true_usd, *money), "{pattern:?}: {} vs {money}", f.recorded_minus_true_usd);
    }
    assert_eq!(found(Pattern::CacheInsideInput).operations, ["clause_review"]);
    assert_eq!(found(Pattern::OneHourCacheWrites).operations, ["memo_draft"]);
    assert_eq!(found(Pattern::GeminiReasoningTwice).operations, ["triage"]);
    assert_eq!(found(Pattern::Unpriced).calls, 20);
    assert!(audit.unexplained.is_empty(), "{:?}", audit.unexplained);
    let control = audit.groups.iter().find(|g| g.operation == "control").unwrap();
    assert!(control.explained && control.patterns.is_empty() && near(control.audited_usd, control.recorded_usd));
    // The totals: recorded, then audited = recorded + backfill - mispriced.
    let mispriced: f64 = p.money.iter().filter(|(k, _)| *k != Pattern::Unpriced).map(|(_, m)| m).sum();
    assert!(near(audit.recorded_usd, p.recorded) && near(audit.recorded_and_backfilled_usd, p.recorded + p.backfill));
    assert!(near(audit.audited_usd, p.recorded + p.backfill - mispriced), "{} vs {}", audit.audited_usd, p.recorded + p.backfill - mispriced);
    assert!(audit.material && !audit.matches());
    // The analysis sizes with the audited cost.
    assert!(near(a.metrics.totals.cost_usd, audit.audited_usd), "{} vs {}", a.metrics.totals.cost_usd, audit.audited_usd);
    // Where the costs came from: ten gpt-4o calls were priced by the caller.
    assert_eq!(audit.sources.caller_calls, 10);
    let batch: f64 = (20..30u64).map(|i| (900 + i) as f64 * GPT_4O.0 + 90.0 * GPT_4O.1).sum();
    assert!(near(audit.sources.caller_usd, batch), "{} vs {batch}", audit.sources.caller_usd);
}

#[test]
fn a_project_priced_right_matches() {
    let p = project();
    let control: Vec<String> = p.lines.into_iter().filter(|l| l.contains("\"gpt-4o\"")).collect();
    let (events, _) = jsonl::parse(&control.join("\n"));
    let source = MemorySource::from_events(events);
    let window = Window::ending_at(Utc.with_ymd_and_hms(2026, 11, 23, 0, 0, 0).unwrap(), 7);
    let fetched = futures::executor::block_on(pipeline::fetch(&source, window, &Settings::default(), &mut |_| {})).expect("fetch");
    let request = Request { window, settings: Settings::default(), origin: Origin { label: "Control".into(), posthog: None }, prior: None };
    let a = pipeline::analyse(&fetched.dataset, &request, &Prices::bundled());
    assert!(a.audit.matches() && !a.audit.material && a.audit.patterns.is_empty(), "{:?}", a.audit.patterns);
    assert!(near(a.audit.audited_usd, a.audit.recorded_usd) && a.costing.audit_factors.is_empty());
}

#[test]
fn the_demo_cost_pattern_is_found_with_its_true_overcharge() {
    let (data, truth) = demo(Plants::ALL);
    let (a, _) = recommend(&data);
    let planted = truth.cost_pattern.clone().expect("the demo plants a cost pattern");
    let f = a.audit.patterns.iter().find(|f| f.pattern == Some(Pattern::CacheInsideInput)).expect("the planted pattern is found");
    println!("planted {planted:?}; found {f:?}; recorded {:.4}, audited {:.4}, truth {:.4}", a.audit.recorded_usd, a.audit.audited_usd, truth.cost_usd);
    assert_eq!(f.operations, std::slice::from_ref(&planted.operation));
    assert_eq!(f.tokens, planted.cache_tokens);
    assert!((f.recorded_minus_true_usd - planted.overcharge_usd).abs() <= 1e-9 * planted.overcharge_usd, "{} vs {}", f.recorded_minus_true_usd, planted.overcharge_usd);
    // The only other pattern is the Gemini model PostHog cannot price.
    assert!(a.audit.patterns.iter().all(|f| matches!(f.pattern, Some(Pattern::CacheInsideInput | Pattern::Unpriced))) && a.audit.unexplained.is_empty());
    // Sized with the audited cost, the report's total is the project's true cost.
    assert!((a.metrics.totals.cost_usd - truth.cost_usd).abs() <= 1e-6 * truth.cost_usd, "{} vs {}", a.metrics.totals.cost_usd, truth.cost_usd);
    // Without the plant, PostHog's priced calls match.
    let (clean, _) = demo(Plants { cost_pattern: false, ..Plants::ALL });
    let (c, _) = recommend(&clean);
    assert!(c.audit.matches(), "{:?}", c.audit.patterns);
}
