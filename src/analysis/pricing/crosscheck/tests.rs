//! Backfill totals and the cross-check's flags, on the bundled table.

use super::*;
use crate::analysis::dataset::CacheReporting;

fn row(model: &str, provider: &str, generations: u64, cost_usd: f64, tokens: TokenSums) -> RollupRow {
    RollupRow { model: model.into(), provider: provider.into(), operation: "op".into(), generations, cost_usd, tokens, ..RollupRow::default() }
}

/// The same row with all its generations unpriced.
fn unpriced(mut r: RollupRow) -> RollupRow {
    r.unpriced = r.generations;
    r.unpriced_tokens = r.tokens;
    r.cost_usd = 0.0;
    r
}

fn tokens(input: u64, output: u64, cache_read: u64, cache_write: u64) -> TokenSums {
    TokenSums { input, output, cache_read, cache_write, reasoning: 0 }
}

fn model<'a>(r: &'a PricingReport, name: &str) -> &'a ModelPricing {
    r.models.iter().find(|m| m.model == name).unwrap()
}

fn near(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 + 1e-9 * b.abs()
}

#[test]
fn unpriced_generations_are_backfilled_and_counted() {
    let rollup = vec![
        row("gpt-4o", "openai", 10, 0.035, tokens(10_000, 1000, 0, 0)),
        unpriced(row("gemini-2.0-flash-001", "vertex_ai", 20, 0.0, tokens(1_000_000, 100_000, 0, 0))),
        unpriced(row("acme-ft-42", "acme", 3, 0.0, tokens(5000, 500, 0, 0))),
    ];
    let (costing, report) = price_rollup(PriceTable::bundled(), &rollup);
    // Vertex's Gemini 2.0 Flash: $0.15 / $0.60 per million tokens.
    let gemini_usd = 1_000_000.0 * 0.15e-6 + 100_000.0 * 0.6e-6;
    let g = model(&report, "gemini-2.0-flash-001");
    assert_eq!((g.backfilled_calls, g.rule, g.resolved_key.as_deref()), (20, Some(Rule::VersionSuffix), Some("vertex_ai/gemini-2.0-flash")));
    assert!(near(g.backfilled_usd, gemini_usd), "{}", g.backfilled_usd);
    assert_eq!((g.table_usd, g.gap_ratio, g.flagged), (None, None, false), "nothing PostHog priced to check");
    let unknown = model(&report, "acme-ft-42");
    assert_eq!((unknown.resolved_key.as_ref(), unknown.backfilled_calls, unknown.backfilled_usd), (None, 0, 0.0));
    let t = &report.totals;
    assert_eq!((t.generations, t.priced_by_posthog, t.backfilled_calls, t.unpriced_calls), (33, 10, 20, 3));
    assert_eq!((t.models, t.unresolved_models, t.flagged_models), (3, 1, 0));
    assert!(near(t.backfilled_usd, gemini_usd) && near(t.posthog_usd, 0.035) && near(t.total_usd, 0.035 + gemini_usd));
    // The costing agrees with the report, and metrics' totals follow from it.
    assert_eq!(costing.prices.len(), 2);
    assert!(near(costing.backfill_row(&rollup[1]).unwrap(), gemini_usd));
    assert_eq!(report.models[0].model, "gemini-2.0-flash-001", "most expensive first");
    assert_eq!((g.basis, unknown.basis), (PriceBasis::Entry, PriceBasis::Unpriced));
}

/// Calls of one model as (input tokens, output tokens, recorded input and
/// output cost when PostHog priced the call).
type Call = (u64, u64, Option<(f64, f64)>);

/// One rollup cell of `calls`, summed the way the sources sum them.
fn cell(model: &str, provider: &str, calls: &[Call]) -> RollupRow {
    let mut r = RollupRow { model: model.into(), provider: provider.into(), operation: "op".into(), ..RollupRow::default() };
    for &(input, output, cost) in calls {
        let t = tokens(input, output, 0, 0);
        r.generations += 1;
        r.tokens.add(&t);
        match cost {
            Some((i, o)) => {
                r.cost_usd += i + o;
                r.recorded.add(&RecordedCost { calls: 1, input_usd: i, output_usd: o, input_tokens: input, output_tokens: output });
            }
            None => {
                r.unpriced += 1;
                r.unpriced_tokens.add(&t);
            }
        }
    }
    r
}

#[test]
fn gemini_sent_to_google_ai_studio_is_priced_at_posthogs_recorded_rate_not_vertexs() {
    // Google AI Studio bills Gemini 2.0 Flash $0.10 / $0.40 per 1M tokens;
    // the table lists only Vertex AI's $0.15 / $0.60. PostHog priced some calls.
    let (input_rate, output_rate) = (0.10e-6, 0.40e-6);
    let calls: Vec<Call> = (0..40u64)
        .map(|i| {
            let (input, output) = (1000 + 37 * i, 100 + 11 * i);
            (input, output, (i % 4 != 0).then_some((input as f64 * input_rate, output as f64 * output_rate)))
        })
        .collect();
    let rollup = vec![cell("gemini-2.0-flash", "gemini", &calls[..25]), cell("gemini-2.0-flash", "gemini", &calls[25..])];
    let truth: f64 = calls.iter().map(|&(i, o, _)| i as f64 * input_rate + o as f64 * output_rate).sum();
    let (costing, report) = price_rollup(PriceTable::bundled(), &rollup);
    let g = model(&report, "gemini-2.0-flash");
    assert_eq!((g.resolved_key.as_deref(), g.basis, g.backfilled_calls), (None, PriceBasis::PosthogRecordedRate, 10));
    assert!(g.why.starts_with("PostHog's recorded rate: $0.1000 input and $0.4000 output per 1M tokens, from 30 calls"), "{}", g.why);
    let total = report.totals.total_usd;
    // What the Vertex AI entry would have charged for the unpriced calls.
    let vertex = PriceTable::bundled().entry("vertex_ai/gemini-2.0-flash").unwrap().price.clone();
    let at_vertex = report.totals.posthog_usd + rollup.iter().map(|r| vertex.cost(&r.unpriced_tokens, "vertex_ai", false)).sum::<f64>();
    println!("gemini-2.0-flash (gemini): truth ${truth:.6}, priced ${total:.6}, at Vertex AI's entry ${at_vertex:.6} ({:+.1}%)", (at_vertex / truth - 1.0) * 100.0);
    assert!(near(total, truth), "{total} vs {truth}");
    assert!(at_vertex > truth * 1.01, "the case tells the two prices apart");
    assert_eq!(costing.prices[&("gemini-2.0-flash".to_string(), "gemini".to_string())].rule, RECORDED_RATE_RULE);
    assert!(report.notes.iter().any(|n| n.contains("rate PostHog recorded")));
    let json = model_pricing_json(&report);
    assert!(json.contains(r#""basis": "posthog-recorded-rate""#) && json.contains("PostHog's recorded rate"), "{json}");
}

#[test]
fn a_claude_id_only_bedrock_lists_takes_its_entry_as_an_alias() {
    let rollup = vec![cell("claude-3-5-haiku-20241022", "anthropic", &[(1_000_000, 100_000, None)])];
    let (_, report) = price_rollup(PriceTable::bundled(), &rollup);
    let m = model(&report, "claude-3-5-haiku-20241022");
    assert_eq!((m.basis, m.table_provider.as_deref()), (PriceBasis::Alias, Some("bedrock")));
    assert!(m.why.contains("an alias of anthropic"), "{}", m.why);
    // Anthropic's list price: $0.80 / $4 per 1M tokens.
    assert!(near(m.backfilled_usd, 0.8 + 0.4), "{}", m.backfilled_usd);
}

#[test]
fn calls_without_an_entry_or_a_recorded_rate_stay_unpriced_and_named() {
    // The same Gemini calls, none priced by PostHog: nothing to take a rate from.
    let rollup = vec![cell("gemini-2.0-flash", "gemini", &[(1000, 100, None), (2000, 200, None)]), cell("gpt-4o", "openai", &[(1000, 100, Some((0.0025, 0.001)))])];
    let (costing, report) = price_rollup(PriceTable::bundled(), &rollup);
    let g = model(&report, "gemini-2.0-flash");
    assert_eq!((g.basis, g.price.as_ref(), g.backfilled_calls, g.backfilled_usd), (PriceBasis::Unpriced, None, 0, 0.0));
    assert_eq!(g.why, r#"unpriced: no entry for provider "gemini", and PostHog recorded no cost of this model in the window"#);
    assert_eq!((report.totals.unpriced_calls, report.totals.unresolved_models, report.totals.recorded_rate_models), (2, 1, 0));
    assert!(costing.price("gemini-2.0-flash", "gemini").is_none());
    assert!(model_pricing_json(&report).contains(r#""basis": "unpriced""#));
    // A recorded cost without output tokens gives no rate either.
    let no_output = vec![cell("gemini-2.0-flash", "gemini", &[(1000, 0, Some((0.0001, 0.0))), (2000, 200, None)])];
    assert_eq!(model(&price_rollup(PriceTable::bundled(), &no_output).1, "gemini-2.0-flash").basis, PriceBasis::Unpriced);
}

#[test]
fn exact_costs_pass_and_a_double_counted_cache_is_flagged() {
    // gpt-4o: $2.50 input, $1.25 cache read, $10 output per million. OpenAI's
    // input includes the 8,000 cached tokens; PostHog billed them twice.
    let t = tokens(10_000, 1000, 8000, 0);
    let right = 2000.0 * 2.5e-6 + 8000.0 * 1.25e-6 + 1000.0 * 10e-6;
    let doubled = 10_000.0 * 2.5e-6 + 8000.0 * 1.25e-6 + 1000.0 * 10e-6;
    // claude-sonnet-4-5: $3 input, $0.30 read, $3.75 write, $15 output; Anthropic's input excludes cache.
    let ct = tokens(1000, 500, 20_000, 4000);
    let claude = 1000.0 * 3e-6 + 20_000.0 * 0.3e-6 + 4000.0 * 3.75e-6 + 500.0 * 15e-6;
    let rollup = vec![row("gpt-4o", "openai", 4, doubled, t), row("gpt-4o-mini", "openai", 4, 0.0, TokenSums::default()), row("claude-sonnet-4-5", "anthropic", 2, claude, ct)];
    let (_, report) = price_rollup(PriceTable::bundled(), &rollup);
    let g = model(&report, "gpt-4o");
    assert!(near(g.table_usd.unwrap(), right));
    assert!(near(g.gap_ratio.unwrap(), doubled / right - 1.0));
    assert!(g.flagged);
    assert_eq!(g.gap_reason.as_deref(), Some("cache tokens counted twice (inside input and again at the cache price)"));
    let c = model(&report, "claude-sonnet-4-5");
    assert!(c.gap_ratio.unwrap().abs() < 1e-9 && !c.flagged && c.gap_reason.is_none(), "{c:?}");
    let zero = model(&report, "gpt-4o-mini");
    assert_eq!((zero.table_usd, zero.flagged), (Some(0.0), false));
    assert_eq!(report.totals.flagged_models, 1);
}

#[test]
fn gaps_get_the_likeliest_cause() {
    let t = tokens(100_000, 10_000, 0, 0);
    let list = 100_000.0 * 2.5e-6 + 10_000.0 * 10e-6;
    // gemini-2.5-pro: $1.25 / $10, and $2.50 / $15 once the prompt passes 200k.
    let long = tokens(300_000, 1000, 0, 0);
    let long_price = 300_000.0 * 2.5e-6 + 1000.0 * 15e-6;
    let rollup = vec![
        row("gpt-4o", "openai", 5, list * 1.5, t),
        row("gpt-4o", "azure", 5, list * 1.04, t),
        row("gemini-2.5-pro", "gemini", 1, long_price, long),
    ];
    let (_, report) = price_rollup(PriceTable::bundled(), &rollup);
    let price_gap = report.models.iter().find(|m| m.provider == "openai").unwrap();
    assert_eq!(price_gap.gap_reason.as_deref(), Some("different price: PostHog's cost is 1.50x the table's"));
    let small_gap = report.models.iter().find(|m| m.provider == "azure").unwrap();
    assert!(!small_gap.flagged && small_gap.gap_ratio.unwrap() > 0.03);
    let g = model(&report, "gemini-2.5-pro");
    assert!(g.flagged, "the rollup did not count the call as long-context");
    assert_eq!(g.gap_reason.as_deref(), Some("long-context prices applied to every call"));
    // Counted as long-context, the same call matches.
    let counted = RollupRow { long_context: 1, ..rollup[2].clone() };
    let (_, report) = price_rollup(PriceTable::bundled(), &[counted]);
    assert!(!report.models[0].flagged && report.models[0].gap_ratio.unwrap().abs() < 1e-9);
}

#[test]
fn partly_unpriced_rows_split_their_tokens() {
    // 10 calls of claude-sonnet-4-20250514; PostHog priced 6 of them right.
    let all = tokens(10_000, 2000, 0, 0);
    let rest = tokens(4000, 800, 0, 0);
    let priced = 6000.0 * 3e-6 + 1200.0 * 15e-6;
    let r = RollupRow { unpriced: 4, unpriced_tokens: rest, ..row("claude-sonnet-4-20250514", "anthropic", 10, priced, all) };
    let (_, report) = price_rollup(PriceTable::bundled(), &[r]);
    let m = &report.models[0];
    assert_eq!((m.calls, m.unpriced_calls, m.backfilled_calls), (10, 4, 4));
    assert!(near(m.backfilled_usd, 4000.0 * 3e-6 + 800.0 * 15e-6));
    assert!(near(m.table_usd.unwrap(), priced) && !m.flagged);
    assert_eq!(m.table_provider.as_deref(), Some("bedrock_converse"));
}

#[test]
fn model_pricing_json_is_stable_and_complete() {
    let rollup = vec![row("gpt-4o", "openai", 2, 0.01, tokens(2000, 500, 0, 0)), unpriced(row("mystery", "x", 1, 0.0, tokens(10, 1, 0, 0)))];
    let (_, report) = price_rollup(PriceTable::bundled(), &rollup);
    let text = model_pricing_json(&report);
    assert_eq!(text, model_pricing_json(&price_rollup(PriceTable::bundled(), &rollup).1));
    let v: serde_json::Value = serde_json::from_str(&text).unwrap();
    let keys: Vec<&str> = v.as_object().unwrap().keys().map(String::as_str).collect();
    assert_eq!(keys, ["source", "totals", "models", "notes"]);
    assert!(v["source"]["label"].as_str().unwrap().starts_with("LiteLLM snapshot "));
    assert_eq!(v["models"][0]["rule"], "exact");
    assert_eq!(v["models"][1]["resolved_key"], serde_json::Value::Null);
    assert_eq!(serde_json::from_str::<PricingReport>(&text).unwrap(), report);
}

/// Claude through the Vercel AI SDK reports cache tokens inside input and says
/// so with `$ai_cache_reporting_exclusive: false`, under provider `anthropic`,
/// whose accounting is otherwise exclusive. Two unpriced calls in one cell:
/// A flagged inclusive (10,000 input of which 8,000 cache reads and 1,000
/// cache writes, 500 output), B without the flag (1,000 input beside 8,000
/// cache reads, 500 output).
#[test]
fn the_cache_flag_decides_how_backfill_counts_input() {
    let p = PriceTable::bundled().resolve("claude-sonnet-4-5", "anthropic").unwrap().price;
    let (read, write) = (p.cache_read.unwrap(), p.cache_write.unwrap());
    let a = (10_000.0 - 8_000.0 - 1_000.0) * p.input + 8_000.0 * read + 1_000.0 * write + 500.0 * p.output;
    let b = 1_000.0 * p.input + 8_000.0 * read + 500.0 * p.output;
    let mut cell = unpriced(row("claude-sonnet-4-5", "anthropic", 2, 0.0, tokens(11_000, 1_000, 16_000, 1_000)));
    cell.cache_reporting = CacheReporting { inclusive: 9_000, unpriced_inclusive: 9_000, ..CacheReporting::default() };
    let (_, report) = price_rollup(PriceTable::bundled(), std::slice::from_ref(&cell));
    let m = model(&report, "claude-sonnet-4-5");
    println!("backfilled with the flag: ${:.6} (by hand ${:.6})", m.backfilled_usd, a + b);
    assert!(near(m.backfilled_usd, a + b), "{} vs {}", m.backfilled_usd, a + b);
    assert!(report.notes.iter().any(|n| n.contains("$ai_cache_reporting_exclusive")));
    // Without the flag both calls follow Anthropic's accounting: A's 9,000
    // cache tokens are billed again at the input price.
    let guessed = price_rollup(PriceTable::bundled(), &[RollupRow { cache_reporting: CacheReporting::default(), ..cell.clone() }]).1;
    let without = model(&guessed, "claude-sonnet-4-5").backfilled_usd;
    println!("backfilled without it: ${without:.6}");
    assert!(near(without, a + b + 9_000.0 * p.input), "{without}");
    // The flag also overrides an inclusive provider: a gateway call flagged exclusive.
    let mut gateway = unpriced(row("claude-sonnet-4-5", "gateway", 1, 0.0, tokens(1_000, 500, 8_000, 0)));
    gateway.cache_reporting = CacheReporting { exclusive: 8_000, unpriced_exclusive: 8_000, ..CacheReporting::default() };
    let mut costing = Costing::default();
    costing.prices.insert(("claude-sonnet-4-5".into(), "gateway".into()), Resolution { key: "claude-sonnet-4-5".into(), rule: "exact".into(), price: p.clone() });
    assert!(near(costing.backfill_row(&gateway).unwrap(), b), "{:?}", costing.backfill_row(&gateway));
}

/// PostHog priced calls flagged inclusive as inclusive: the cross-check
/// finds no gap once it follows the flag, and without it blames exactly that.
#[test]
fn the_cross_check_follows_the_cache_flag() {
    let p = PriceTable::bundled().resolve("claude-sonnet-4-5", "anthropic").unwrap().price;
    let posthog = (10_000.0 - 8_000.0) * p.input + 8_000.0 * p.cache_read.unwrap() + 500.0 * p.output;
    let mut cell = row("claude-sonnet-4-5", "anthropic", 1, posthog, tokens(10_000, 500, 8_000, 0));
    cell.cache_reporting = CacheReporting { inclusive: 8_000, ..CacheReporting::default() };
    let (_, report) = price_rollup(PriceTable::bundled(), std::slice::from_ref(&cell));
    let m = model(&report, "claude-sonnet-4-5");
    println!("gap with the flag: {:?}", m.gap_ratio);
    assert!(near(m.table_usd.unwrap(), posthog) && !m.flagged, "{m:?}");
    let (_, guessed) = price_rollup(PriceTable::bundled(), &[RollupRow { cache_reporting: CacheReporting::default(), ..cell }]);
    let g = model(&guessed, "claude-sonnet-4-5");
    println!("gap without it: {:?}, {:?}", g.gap_ratio, g.gap_reason);
    assert!(g.flagged && g.gap_reason.as_deref() == Some("cache tokens counted inside input (inclusive accounting)"), "{g:?}");
}
