//! ModelPrice's provider accounting and Costing's backfill.

use super::*;

fn sonnet() -> ModelPrice {
    ModelPrice { input: 3e-6, output: 15e-6, cache_read: Some(0.3e-6), cache_write: Some(3.75e-6), ..ModelPrice::default() }
}

#[test]
fn anthropic_counts_cache_beside_input() {
    let t = TokenSums { input: 1000, output: 100, cache_read: 10_000, cache_write: 2000, reasoning: 0 };
    let expected = 1000.0 * 3e-6 + 10_000.0 * 0.3e-6 + 2000.0 * 3.75e-6 + 100.0 * 15e-6;
    assert!((sonnet().cost(&t, "anthropic", false) - expected).abs() < 1e-12);
}

#[test]
fn openai_counts_cache_inside_input() {
    let p = ModelPrice { input: 2.5e-6, output: 10e-6, cache_read: Some(1.25e-6), ..ModelPrice::default() };
    let t = TokenSums { input: 10_000, output: 0, cache_read: 8000, ..TokenSums::default() };
    assert!((p.cost(&t, "openai", false) - (2000.0 * 2.5e-6 + 8000.0 * 1.25e-6)).abs() < 1e-12);
}

#[test]
fn long_context_reprices_the_whole_request() {
    let p = ModelPrice { input: 1e-6, output: 2e-6, input_above_200k: Some(2e-6), output_above_200k: Some(3e-6), ..ModelPrice::default() };
    let t = TokenSums { input: 300_000, output: 1000, ..TokenSums::default() };
    assert!((p.cost(&t, "gemini", true) - (300_000.0 * 2e-6 + 1000.0 * 3e-6)).abs() < 1e-12);
}

#[test]
fn backfill_needs_a_price() {
    let mut c = Costing::default();
    let row = RollupRow {
        model: "m".into(),
        provider: "p".into(),
        generations: 4,
        unpriced: 4,
        unpriced_tokens: TokenSums { input: 1_000_000, ..TokenSums::default() },
        ..RollupRow::default()
    };
    assert_eq!(c.backfill_row(&row), None);
    c.prices.insert(("m".into(), "p".into()), Resolution { key: "m".into(), rule: "exact".into(), price: ModelPrice { input: 1e-6, ..ModelPrice::default() } });
    assert!((c.backfill_row(&row).unwrap() - 1.0).abs() < 1e-12);
    let priced = RollupRow { unpriced: 0, unpriced_tokens: TokenSums::default(), ..row };
    assert_eq!(c.backfill_row(&priced), Some(0.0), "nothing to backfill");
}

#[test]
fn reasoning_price_replaces_output_price_for_reasoning_tokens() {
    let p = ModelPrice { input: 1e-6, output: 4e-6, reasoning: Some(6e-6), ..ModelPrice::default() };
    let t = TokenSums { output: 1000, reasoning: 600, ..TokenSums::default() };
    assert!((p.cost(&t, "openai", false) - (400.0 * 4e-6 + 600.0 * 6e-6)).abs() < 1e-12);
}

#[test]
fn claude_entries_without_cache_prices_get_anthropics_multipliers() {
    let mut p = ModelPrice { input: 1e-6, output: 5e-6, ..ModelPrice::default() };
    assert!(p.fill_claude_cache_prices("vertex_ai/claude-3-5-haiku@20241022", "vertex_ai-anthropic_models"));
    assert!((p.cache_read.unwrap() - 0.1e-6).abs() < 1e-15);
    assert!((p.cache_write.unwrap() - 1.25e-6).abs() < 1e-15);
    // Listed prices stay; other models keep missing cache prices missing.
    let mut listed = sonnet();
    assert!(!listed.fill_claude_cache_prices("claude-sonnet-4-5", "anthropic"));
    assert_eq!(listed, sonnet());
    let mut gpt = ModelPrice { input: 1e-6, ..ModelPrice::default() };
    assert!(!gpt.fill_claude_cache_prices("gpt-4o", "openai"));
    assert_eq!(gpt.cache_read, None);
}

#[test]
fn long_context_share_is_bounded_from_below() {
    let p = ModelPrice { input: 1e-6, output: 0.0, input_above_200k: Some(2e-6), ..ModelPrice::default() };
    let t = TokenSums { input: 1_000_000, ..TokenSums::default() };
    // One long call among 20: at least 200k of the 1M prompt tokens at the long rate.
    assert!((p.cost_mixed(&t, 0, 1.0, 20.0) - (800_000.0 * 1e-6 + 200_000.0 * 2e-6)).abs() < 1e-9);
    // One long call among 2: the other holds under 200k, so the long one over 800k.
    assert!((p.cost_mixed(&t, 0, 1.0, 2.0) - (200_000.0 * 1e-6 + 800_000.0 * 2e-6)).abs() < 1e-9);
    assert!((p.cost_mixed(&t, 0, 0.0, 20.0) - 1.0).abs() < 1e-9);
    assert!((p.cost_mixed(&t, 0, 3.0, 3.0) - 2.0).abs() < 1e-9);
    let flat = ModelPrice { input_above_200k: None, ..p };
    assert!((flat.cost_mixed(&t, 0, 5.0, 5.0) - 1.0).abs() < 1e-9);
}

#[test]
fn backfill_row_prices_the_unpriced_tokens_with_their_long_calls() {
    let mut c = Costing::default();
    let price = ModelPrice { input: 1e-6, input_above_200k: Some(2e-6), ..ModelPrice::default() };
    c.prices.insert(("m".into(), "p".into()), Resolution { key: "m".into(), rule: "exact".into(), price });
    // Of 10 calls, 4 unpriced, 5 long: 2 long ones counted among the unpriced;
    // the 2 others hold under 400k tokens, so at least 600k are at the long rate.
    let unpriced_tokens = TokenSums { input: 1_000_000, ..TokenSums::default() };
    let tokens = TokenSums { input: 2_000_000, ..TokenSums::default() };
    let row = RollupRow { model: "m".into(), provider: "p".into(), generations: 10, unpriced: 4, long_context: 5, unpriced_tokens, tokens, ..RollupRow::default() };
    assert!((c.backfill_row(&row).unwrap() - (400_000.0 * 1e-6 + 600_000.0 * 2e-6)).abs() < 1e-9);
    assert_eq!(c.backfill_row(&RollupRow { model: "other".into(), ..row.clone() }), None);
    assert_eq!(c.backfill_row(&RollupRow { unpriced: 0, unpriced_tokens: TokenSums::default(), ..row }), Some(0.0));
}

#[test]
fn costing_round_trips_through_json() {
    let mut c = Costing::default();
    c.prices.insert(("gpt-4o".into(), "openai".into()), Resolution { key: "gpt-4o".into(), rule: "exact".into(), price: sonnet() });
    let text = serde_json::to_string(&c).unwrap();
    assert!(text.starts_with(r#"{"prices":[{"model":"gpt-4o","provider":"openai","resolution":{"key":"gpt-4o""#), "{text}");
    assert_eq!(serde_json::from_str::<Costing>(&text).unwrap(), c);
}

#[test]
fn trace_rows_backfill_with_their_models_price() {
    let mut c = Costing::default();
    c.prices.insert(("m".into(), "p".into()), Resolution { key: "m".into(), rule: "exact".into(), price: ModelPrice { input: 1e-6, output: 2e-6, ..ModelPrice::default() } });
    let row = crate::analysis::dataset::TraceOpRow {
        cost_usd: 0.5,
        models: vec!["m".into()],
        unpriced_tokens: TokenSums { input: 1000, output: 500, ..TokenSums::default() },
        ..Default::default()
    };
    assert!((c.trace_op_cost(&row) - (0.5 + 1000.0 * 1e-6 + 500.0 * 2e-6)).abs() < 1e-12);
    let unknown = crate::analysis::dataset::TraceOpRow { models: vec!["other".into()], ..row };
    assert_eq!(c.trace_op_cost(&unknown), 0.5, "no price: PostHog's cost only");
}
