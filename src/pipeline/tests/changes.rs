//! What changed, end to end: the demo's planted model switch and cache-hit
//! drop are found on their day with their cost per call and driver, without
//! moving the other plants' truths; and a project shaped unlike the demo
//! (a code-review bot, 20 days, so the baseline is the window's first half)
//! with a volume spike, a model switch and a cache drop, whose figures are
//! computed here from the raw generations.

use super::{demo, recommend};
use crate::analysis::changes::{Change, Driver, Scope};
use crate::analysis::dataset::Window;
use crate::analysis::Settings;
use crate::pipeline::{self, Prices, Request};
use crate::source::demo::{ChangeCause, Plants};
use crate::source::digest::TextDigest;
use crate::source::event::Generation;
use crate::source::memory::MemorySource;
use chrono::{Duration, NaiveDate, TimeZone, Utc};

fn of_operation<'a>(changes: &'a [Change], op: &str) -> Option<&'a Change> {
    changes.iter().find(|c| c.scope == Scope::Operation && c.name == op)
}

fn close(got: f64, want: f64, tolerance: f64) -> bool {
    (got - want).abs() <= tolerance * want.abs()
}

#[test]
fn the_demo_model_switch_and_cache_drop_are_found_on_their_day_with_their_driver() {
    let (data, truth) = demo(Plants::ALL);
    let (a, _) = recommend(&data);
    assert_eq!(truth.changes.len(), 2);
    for t in &truth.changes {
        let c = of_operation(&a.changes.items, &t.operation).unwrap_or_else(|| panic!("{} not found in {:?}", t.operation, a.changes.items.iter().map(|c| &c.name).collect::<Vec<_>>()));
        println!(
            "{}: began {} (truth {}), per call {:.6} -> {:.6} (truth {:.6} -> {:.6}), driver {:?}, parts {:?}",
            t.operation, c.began, t.day, c.per_call.before, c.per_call.after, t.per_call_before, t.per_call_after, c.driver, c.parts
        );
        assert_eq!(c.began, t.day, "{}", t.operation);
        assert!(c.ongoing, "{} lasts to the end", t.operation);
        assert!(close(c.per_call.before, t.per_call_before, 0.01) && close(c.per_call.after, t.per_call_after, 0.01), "{}", t.operation);
        let want = match t.cause {
            ChangeCause::ModelSwitch => Driver::Mix,
            ChangeCause::CacheDrop => Driver::CacheHit,
        };
        assert_eq!(c.driver, want, "{}", t.operation);
        let sum: f64 = c.parts.iter().map(|p| p.usd_per_day).sum();
        assert!(close(sum, c.daily_cost.after - c.daily_cost.before, 1e-9), "{}: parts add up", t.operation);
        if t.cause == ChangeCause::ModelSwitch {
            let moved: Vec<(&str, f64, f64)> = c.mix.iter().map(|m| (m.name.as_str(), m.before, m.after)).collect();
            assert!(moved.iter().any(|m| m.0 == t.model_after && m.1 < 0.01 && m.2 > 0.99), "{moved:?}");
            assert!(moved.iter().any(|m| m.0 == t.model_before && m.1 > 0.99 && m.2 < 0.01), "{moved:?}");
        }
    }
    // No other operation changed: the demo's other operations are steady.
    let others: Vec<&str> = a.changes.items.iter().filter(|c| c.scope == Scope::Operation && !truth.changes.iter().any(|t| t.operation == c.name)).map(|c| c.name.as_str()).collect();
    assert!(others.is_empty(), "unplanted changes: {others:?}");
}

#[test]
fn the_change_plants_leave_the_other_plants_truths_where_they_were() {
    let (_, with) = demo(Plants::ALL);
    let (_, without) = demo(Plants { changes: false, ..Plants::ALL });
    assert_eq!(with.plants, without.plants);
    assert_eq!((with.generations, with.traces), (without.generations, without.traces));
    assert!(without.changes.is_empty());
}

#[test]
fn a_clean_demo_reports_no_change() {
    let (data, _) = demo(Plants::NONE);
    let (a, _) = recommend(&data);
    assert!(a.changes.comparable());
    assert!(a.changes.items.is_empty(), "{:?}", a.changes.items.iter().map(|c| (&c.name, c.began, c.ratio())).collect::<Vec<_>>());
}

/// The code-review bot's list prices (USD per token): (model, provider, input, output, cache read, cache write).
const PRICES: [(&str, &str, f64, f64, f64, f64); 3] = [
    ("gpt-4o-mini", "openai", 0.15e-6, 0.6e-6, 0.075e-6, 0.0),
    ("gpt-4o", "openai", 2.5e-6, 10e-6, 1.25e-6, 0.0),
    ("claude-sonnet-4-20250514", "anthropic", 3e-6, 15e-6, 0.3e-6, 3.75e-6),
];

/// A deterministic jitter in `[1 - spread, 1 + spread]` for call `n`.
fn jitter(n: u64, spread: f64) -> f64 {
    let x = n.wrapping_mul(0x9E37_79B9_7F4A_7C15).rotate_left(17).wrapping_mul(0xBF58_476D_1CE4_E5B9) >> 11;
    1.0 + spread * (2.0 * (x as f64 / (1u64 << 53) as f64) - 1.0)
}

struct Bot {
    gens: Vec<Generation>,
    n: u64,
}

impl Bot {
    /// One call; Anthropic's input excludes the cache tokens, OpenAI's includes the reads.
    #[allow(clippy::too_many_arguments)]
    fn call(&mut self, trace: &str, at: chrono::DateTime<Utc>, op: &str, model: &str, input: u64, output: u64, read: u64, write: u64, error: bool) {
        self.n += 1;
        let &(_, provider, pi, po, pr, pw) = PRICES.iter().find(|p| p.0 == model).expect("priced");
        let (input, output, read, write) = if error { (0, 0, 0, 0) } else { (input, output, read, write) };
        let uncached = if provider == "anthropic" { input } else { input - read };
        let cost = uncached as f64 * pi + read as f64 * pr + write as f64 * pw + output as f64 * po;
        self.gens.push(Generation {
            uuid: format!("gen-{}", self.n),
            timestamp: at + Duration::seconds(self.n as i64 % 50),
            trace_id: trace.into(),
            span_id: String::new(),
            parent_id: String::new(),
            operation: op.into(),
            naming: crate::contract::Naming::SpanName,
            model: model.into(),
            provider: provider.into(),
            lib: "posthog-node".into(),
            input_tokens: Some(input),
            output_tokens: Some(output),
            cache_read_tokens: (read > 0).then_some(read),
            cache_write_tokens: (write > 0).then_some(write),
            cost_usd: Some(cost),
            input_cost_usd: Some(cost - output as f64 * po),
            output_cost_usd: Some(output as f64 * po),
            latency_s: Some(1.5),
            is_error: error,
            http_status: Some(if error { 500 } else { 200 }),
            error: error.then(|| "upstream error".into()),
            stop_reason: (!error).then(|| "stop".into()),
            input: Some(TextDigest::of_prompt(&format!("{op} request {}", self.n))),
            output: (!error).then(|| TextDigest::of("a reply")),
            reasoning_tokens: None,
            max_tokens: None,
            cache_exclusive: None,
            cache_write_1h_tokens: None,
            framework: String::new(),
            cost_source: Some("openrouter".into()),
            dirty_numbers: 0,
            distinct_id: format!("user-{}", self.n % 7),
            segment_props: Vec::new(),
        });
    }
}

/// The first day of each plant, as offsets from the window's first day.
const SPIKE_DAY: i64 = 13;
const SWITCH_DAY: i64 = 11;
const CACHE_DAY: i64 = 15;
const DAYS: i64 = 20;

/// A 20-day code-review bot: `lint_comment` calls three times per review
/// from the spike day, `plan_fix` moves from gpt-4o-mini to gpt-4o on the
/// switch day, `explain_failure` (Claude) stops reading its cached 3,000-token
/// rules from the cache day. One call in fifty fails and is retried.
fn code_review_bot() -> (Window, Vec<Generation>) {
    let start = Utc.with_ymd_and_hms(2026, 5, 1, 0, 0, 0).single().expect("valid");
    let mut bot = Bot { gens: vec![], n: 0 };
    for day in 0..DAYS {
        let reviews = 30 + (day % 7) * 3;
        for r in 0..reviews {
            let trace = format!("review-{day}-{r}");
            let at = start + Duration::days(day) + Duration::minutes(5 + r * 25);
            let lints = if day >= SPIKE_DAY { 3 } else { 1 };
            for _ in 0..lints {
                let j = jitter(bot.n, 0.25);
                bot.call(&trace, at, "lint_comment", "gpt-4o-mini", (800.0 * j) as u64, (90.0 * j) as u64, 0, 0, false);
            }
            let model = if day >= SWITCH_DAY { "gpt-4o" } else { "gpt-4o-mini" };
            let j = jitter(bot.n, 0.2);
            let failed = bot.n % 50 == 7;
            if failed {
                bot.call(&trace, at, "plan_fix", model, 0, 0, 0, 0, true);
            }
            bot.call(&trace, at, "plan_fix", model, (1_500.0 * j) as u64, (400.0 * j) as u64, 0, 0, false);
            let j = jitter(bot.n, 0.2);
            let (input, output) = ((500.0 * j) as u64, (300.0 * j) as u64);
            if day >= CACHE_DAY {
                bot.call(&trace, at, "explain_failure", "claude-sonnet-4-20250514", input + 3_000, output, 0, 0, false);
            } else if bot.n.is_multiple_of(20) {
                bot.call(&trace, at, "explain_failure", "claude-sonnet-4-20250514", input, output, 0, 3_000, false);
            } else {
                bot.call(&trace, at, "explain_failure", "claude-sonnet-4-20250514", input, output, 3_000, 0, false);
            }
        }
    }
    (Window { start, end: start + Duration::days(DAYS) }, bot.gens)
}

/// From the raw generations: an operation's cost per call and per trace, and
/// its daily cost, over `[from, to)` days of the window.
fn raw(gens: &[Generation], start: chrono::DateTime<Utc>, op: &str, from: i64, to: i64) -> (f64, f64, f64) {
    let inside: Vec<&Generation> = gens.iter().filter(|g| g.operation == op && g.timestamp >= start + Duration::days(from) && g.timestamp < start + Duration::days(to)).collect();
    let cost: f64 = inside.iter().filter_map(|g| g.cost_usd).sum();
    let mut traces: Vec<&str> = inside.iter().map(|g| g.trace_id.as_str()).collect();
    traces.sort_unstable();
    traces.dedup();
    (cost / inside.len() as f64, cost / traces.len() as f64, cost / (to - from) as f64)
}

#[test]
fn a_code_review_bot_shows_its_volume_spike_model_switch_and_cache_drop() {
    let (window, gens) = code_review_bot();
    let source = MemorySource::from_generations(gens.clone());
    let fetched = futures::executor::block_on(pipeline::fetch(&source, window, &Settings::default(), &mut |_| {})).expect("fetch");
    let request = Request { window, settings: Settings::default(), origin: Default::default(), prior: None };
    let a = pipeline::analyse(&fetched.dataset, &request, &Prices::bundled());
    assert_eq!((a.changes.complete_days, a.changes.baseline_days), (20, 10), "a 20-day window's baseline is its first half");
    let base = i64::from(a.changes.baseline_days);
    for (op, day, driver) in [("lint_comment", SPIKE_DAY, Driver::Volume), ("plan_fix", SWITCH_DAY, Driver::Mix), ("explain_failure", CACHE_DAY, Driver::CacheHit)] {
        let (call_b, trace_b, daily_b) = raw(&gens, window.start, op, day - base, day);
        let (call_a, trace_a, daily_a) = raw(&gens, window.start, op, day, DAYS);
        let c = of_operation(&a.changes.items, op).unwrap_or_else(|| panic!("{op} not found"));
        println!(
            "{op}: began {} (planted {}), per call {:.6} -> {:.6} (raw {call_b:.6} -> {call_a:.6}), per trace {:.6} -> {:.6} (raw {trace_b:.6} -> {trace_a:.6}), daily {:.4} -> {:.4} (raw {daily_b:.4} -> {daily_a:.4}), driver {:?}, parts {:?}",
            c.began,
            window.start.date_naive() + Duration::days(day),
            c.per_call.before,
            c.per_call.after,
            c.per_trace.before,
            c.per_trace.after,
            c.daily_cost.before,
            c.daily_cost.after,
            c.driver,
            c.parts
        );
        assert_eq!(c.began, window.start.date_naive() + Duration::days(day), "{op}");
        assert_eq!((c.baseline_from, c.last_day), (window.start.date_naive() + Duration::days(day - base), NaiveDate::from_ymd_opt(2026, 5, 20).unwrap()), "{op}");
        for (got, want) in [(c.per_call.before, call_b), (c.per_call.after, call_a), (c.per_trace.before, trace_b), (c.per_trace.after, trace_a), (c.daily_cost.before, daily_b), (c.daily_cost.after, daily_a)] {
            assert!(close(got, want, 1e-6), "{op}: {got} vs {want}");
        }
        assert_eq!(c.driver, driver, "{op}");
        let change = daily_a - daily_b;
        let sum: f64 = c.parts.iter().map(|p| p.usd_per_day).sum();
        assert!(close(sum, change, 1e-6), "{op}: parts {sum} vs {change}");
        assert!(c.part(driver) >= 0.8 * change, "{op}: the driver holds most of the change: {} of {change}", c.part(driver));
    }
    let lint = of_operation(&a.changes.items, "lint_comment").expect("found");
    assert!(close(lint.per_call.after, lint.per_call.before, 0.1), "the spike is in calls per trace, not in the price of a call");
}
