//! The savings formulas, the validation period and language detection on
//! tiny hand-made datasets, priced with the bundled table.

use super::super::findings::{self, Context};
use super::super::measure::{validation_days, CONFIDENCE_Z, POWER_Z};
use super::*;
use crate::analysis::dataset::{Overview, PrefixRow, RollupRow, TokenSums, TraceOpRow};
use chrono::{NaiveDate, TimeZone, Utc};

const SONNET: (&str, &str) = ("claude-sonnet-4-20250514", "anthropic");
const HAIKU: (&str, &str) = ("claude-3-5-haiku-20241022", "anthropic");

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, d).unwrap()
}

fn rollup(op: &str, (model, provider): (&str, &str), d: u32, calls: u64, input: u64, output: u64) -> RollupRow {
    let tokens = TokenSums { input, output, ..TokenSums::default() };
    let cost = PriceTable::bundled().resolve(model, provider).unwrap().price.cost(&tokens, provider, false);
    RollupRow { day: day(d), operation: op.into(), model: model.into(), provider: provider.into(), generations: calls, cost_usd: cost, tokens, ..RollupRow::default() }
}

fn trace(id: &str, op: &str, model: &str, input: u64, output: u64) -> TraceOpRow {
    let tokens = TokenSums { input, output, ..TokenSums::default() };
    TraceOpRow { trace_id: id.into(), operation: op.into(), first_seen: Utc.with_ymd_and_hms(2026, 11, 1, 0, 0, 0).unwrap(), generations: 1, tokens, models: vec![model.into()], first_input_tokens: input, last_input_tokens: input, ..TraceOpRow::default() }
}

fn dataset(rollup: Vec<RollupRow>, mut trace_ops: Vec<TraceOpRow>, prefixes: Vec<PrefixRow>) -> Dataset {
    crate::analysis::dataset::sort_trace_ops(&mut trace_ops);
    let window = Window::ending_at(Utc.with_ymd_and_hms(2026, 11, 11, 0, 0, 0).unwrap(), 10);
    Dataset { window, overview: Overview::default(), rollup, latency: vec![], trace_ops, prefixes, errors: vec![], generations: vec![], sampling: None, signals: vec![], segments: vec![] }
}


fn price((model, provider): (&str, &str)) -> crate::analysis::pricing::ModelPrice {
    PriceTable::bundled().resolve(model, provider).unwrap().price
}

#[test]
fn model_downgrade_prices_the_operations_token_mix_at_both_models() {
    let rows = vec![rollup("classify", SONNET, 1, 100, 40_000, 500), rollup("safety", HAIKU, 1, 100, 20_000, 800)];
    let traces = (0..100).map(|i| trace(&format!("t{i:03}"), "classify", SONNET.0, 400, 5)).collect();
    let (_, r) = recommend(&dataset(rows, traces, vec![]));
    let x = r.items.iter().find(|x| x.kind == Kind::ModelDowngrade).expect("a downgrade");
    let tokens = TokenSums { input: 40_000, output: 500, ..TokenSums::default() };
    let want = price(SONNET).cost(&tokens, "anthropic", false) - price(HAIKU).cost(&tokens, "anthropic", false);
    assert!((x.savings_usd - want).abs() < 1e-12, "{} vs {want}", x.savings_usd);
    assert_eq!(x.operation, "classify");
    assert!(x.title.contains(HAIKU.0), "the cheaper model the project already runs: {}", x.title);
    assert!(x.why.contains("Quality risk"));
    assert_eq!(x.evidence.len(), 5);
}

#[test]
fn long_outputs_are_not_downgraded() {
    let rows = vec![rollup("draft", SONNET, 1, 100, 40_000, 40_000), rollup("safety", HAIKU, 1, 100, 20_000, 800)];
    let traces = (0..100).map(|i| trace(&format!("t{i:03}"), "draft", SONNET.0, 400, 400)).collect();
    let (_, r) = recommend(&dataset(rows, traces, vec![]));
    assert!(r.items.iter().all(|x| x.kind != Kind::ModelDowngrade));
}

#[test]
fn retry_dedupe_prices_duplicates_as_resends_of_the_first_prompt() {
    let mut storm = trace("storm", "agent", "gpt-4o", 8_000, 500);
    (storm.generations, storm.errors, storm.duplicate_inputs, storm.first_input_tokens) = (6, 1, 3, 1_000);
    let rows = vec![rollup("agent", ("gpt-4o", "openai"), 1, 6, 8_000, 500)];
    let (_, r) = recommend(&dataset(rows, vec![storm], vec![]));
    let x = r.items.iter().find(|x| x.kind == Kind::RetryDedupe).expect("a dedupe");
    // 3 duplicates, one of them the retry of the failed call: 2 billed resends of 1,000 input and 100 output tokens.
    let want = 2.0 * price(("gpt-4o", "openai")).cost(&TokenSums { input: 1_000, output: 100, ..TokenSums::default() }, "openai", false);
    assert!((x.savings_usd - want).abs() < 1e-12, "{} vs {want}", x.savings_usd);
    assert_eq!(x.evidence[0].trace_id, "storm");
}

#[test]
fn context_trimming_saves_the_input_above_the_median() {
    let mut traces: Vec<TraceOpRow> = (0..9).map(|i| trace(&format!("t{i}"), "summarize", "gpt-4o", 2_000, 200)).collect();
    traces.push(trace("bloated", "summarize", "gpt-4o", 20_000, 200));
    let rows = vec![rollup("summarize", ("gpt-4o", "openai"), 1, 10, 38_000, 2_000)];
    let (_, r) = recommend(&dataset(rows, traces, vec![]));
    let x = r.items.iter().find(|x| x.kind == Kind::ContextTrimming).expect("a trim");
    let want = 18_000.0 * price(("gpt-4o", "openai")).input;
    assert!((x.savings_usd - want).abs() < 1e-12, "{} vs {want}", x.savings_usd);
    assert_eq!((x.measurement.baseline, x.measurement.target), (3_800.0, 2_000.0));
}

#[test]
fn caching_prices_warm_calls_at_the_read_price_and_cold_ones_at_the_write_price() {
    let rows = vec![rollup("draft", SONNET, 2, 288, 288 * 2_500, 288 * 300)];
    let prefix = PrefixRow {
        operation: "draft".into(),
        model: SONNET.0.into(),
        provider: SONNET.1.into(),
        prefix_hash: "00".into(),
        generations: 288,
        traces: 288,
        min_input_chars: 9_000,
        input_chars: 288 * 10_000,
        input_tokens: 288 * 2_500,
        cache_read_tokens: 0,
        shared_chars: 8_192,
        warm_calls: 200,
        cold_calls: 88,
    };
    let traces = (0..288).map(|i| trace(&format!("t{i:03}"), "draft", SONNET.0, 2_500, 300)).collect();
    let data = dataset(rows, traces, vec![prefix]);
    let (a, _) = recommend(&data);
    let by_op = ByOperation::new(&data.trace_ops, &a.costing);
    let ctx = Context::new(&data, &by_op, &a, PriceTable::bundled(), Language::Python);
    let x = findings::prompt_caching(&ctx).pop().expect("a caching fix");
    let p = price(SONNET);
    let shared = 8_192.0 * 2_500.0 / 10_000.0;
    let want = shared * (200.0 * (p.input - p.cache_read.unwrap()) - 88.0 * (p.cache_write.unwrap() - p.input));
    assert!((x.savings_usd - want).abs() < 1e-9, "{} vs {want}", x.savings_usd);
    assert!(x.code_after.contains("cache_control"), "{}", x.code_after);
    // Calls too far apart to find the cache warm: writing it costs more than it saves.
    let mut sparse = data.clone();
    (sparse.prefixes[0].warm_calls, sparse.prefixes[0].cold_calls) = (0, 288);
    let by_op = ByOperation::new(&sparse.trace_ops, &a.costing);
    let ctx = Context::new(&sparse, &by_op, &a, PriceTable::bundled(), Language::Python);
    assert!(findings::prompt_caching(&ctx).is_empty(), "no warm calls, no saving");
}

#[test]
fn a_project_without_problems_gets_an_honest_shortfall() {
    let rows = vec![rollup("safety", HAIKU, 1, 100, 20_000, 800)];
    let traces = (0..100).map(|i| trace(&format!("t{i:03}"), "safety", HAIKU.0, 200, 8)).collect();
    let (_, r) = recommend(&dataset(rows, traces, vec![]));
    assert!(r.items.is_empty());
    assert!(r.shortfall.as_deref().unwrap().starts_with("0 recommendations were found where at least 3"), "{:?}", r.shortfall);
}

#[test]
fn validation_period_follows_the_daily_noise() {
    let n = |sd: f64, delta: f64| validation_days(sd, delta);
    assert!((2.0 * (CONFIDENCE_Z + POWER_Z).powi(2) - 15.6978).abs() < 1e-4);
    assert_eq!(n(1.0, 1.0), (21, false), "15.7 days, rounded up to three weeks");
    assert_eq!(n(0.1, 1.0), (7, false), "never under a week");
    assert_eq!(n(1.0, 0.5), (63, false));
    assert_eq!(n(1.0, 0.1), (91, true), "too small to see in daily numbers");
    assert_eq!(n(1.0, 0.0), (91, true));
}

#[test]
fn language_comes_from_the_sdk_names() {
    let libs = |v: &[&str]| v.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(detect_language(&libs(&["posthog-python"])), (Language::Python, true));
    assert_eq!(detect_language(&libs(&["posthog-node"])), (Language::TypeScript, true));
    assert_eq!(detect_language(&libs(&["@posthog/ai"])), (Language::TypeScript, true));
    // What the SDK fixtures carry as $ai_lib: both SDKs send it, so it says nothing.
    assert_eq!(detect_language(&libs(&["posthog-ai"])), (Language::Python, false));
    assert_eq!(detect_language(&libs(&["posthog-ai", "posthog-node"])), (Language::TypeScript, true));
    assert_eq!(detect_language(&[]), (Language::Python, false));
}

#[test]
fn typescript_examples_use_the_posthog_ai_package() {
    let rows = vec![rollup("classify", SONNET, 1, 100, 40_000, 500), rollup("safety", HAIKU, 1, 100, 20_000, 800)];
    let traces = (0..100).map(|i| trace(&format!("t{i:03}"), "classify", SONNET.0, 400, 5)).collect();
    let mut data = dataset(rows, traces, vec![]);
    data.overview.libs = vec!["posthog-node".into()];
    let (_, r) = recommend(&data);
    let x = &r.items[0];
    assert_eq!(r.language, Language::TypeScript);
    assert!(x.code_after.contains("import { Anthropic } from '@posthog/ai'") && x.code_after.contains("posthogTraceId: traceId"), "{}", x.code_after);
    assert!(x.code_after.contains(&format!("model: \"{}\"", HAIKU.0)));
}
