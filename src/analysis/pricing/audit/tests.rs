//! The audit's rules on hand-made rollup cells: PostHog's model names for
//! the reasoning rule, an unexplained gap kept as recorded, and the choice
//! between patterns.

use super::*;
use crate::analysis::dataset::AuditSums;
use crate::analysis::pricing::{price_rollup, PriceTable};

#[test]
fn the_reasoning_rule_follows_posthogs_model_names() {
    for m in ["gemini-2.5-pro", "gemini-2.5-flash-lite", "models/gemini-2.5-flash", "gemini-3-pro-preview", "gemini-3.1-flash"] {
        assert!(adds_reasoning_to_output(m), "{m}");
    }
    for m in ["gemini-2.0-flash-001", "gemini-3", "gemini-3.x-pro", "gemini-30-pro", "gpt-5", "claude-sonnet-4-5"] {
        assert!(!adds_reasoning_to_output(m), "{m}");
    }
}

fn sonnet_row(operation: &str, cost_usd: f64, tokens: TokenSums, audit: AuditSums) -> RollupRow {
    RollupRow { operation: operation.into(), model: "claude-sonnet-4-5".into(), provider: "anthropic".into(), generations: 10, cost_usd, tokens, audit, ..RollupRow::default() }
}

#[test]
fn a_gap_no_pattern_explains_keeps_the_recorded_cost() {
    // 10 calls: 100k input at $3/M and 10k output at $15/M is $0.45; PostHog recorded twice that.
    let t = TokenSums { input: 100_000, output: 10_000, ..TokenSums::default() };
    let rows = vec![sonnet_row("odd", 0.9, t, AuditSums::default())];
    let (costing, _) = price_rollup(PriceTable::bundled(), &rows);
    let a = audit(&rows, &costing);
    let g = &a.groups[0];
    assert!(!g.explained && (g.recomputed_usd.unwrap() - 0.45).abs() < 1e-12 && g.audited_usd == 0.9);
    assert_eq!(a.unexplained.len(), 1);
    assert!(a.patterns.is_empty() && !a.matches() && !a.material && a.factors().is_empty());
}

#[test]
fn the_nearest_set_of_patterns_is_named_and_a_fixed_one_is_not() {
    // 1-hour writes and LangChain's inclusive input on the same cells.
    let t = TokenSums { input: 60_000, output: 1_000, cache_read: 40_000, cache_write: 10_000, reasoning: 0 };
    let audit_sums = AuditSums { cache_write_1h: 10_000, framework_cache: 50_000, ..AuditSums::default() };
    let (i, o, r, w) = (3e-6, 15e-6, 0.3e-6, 3.75e-6);
    let truth = 10_000.0 * i + 40_000.0 * r + 10_000.0 * 2.0 * i + 1_000.0 * o;
    let inside = 50_000.0 * i;
    let five_minute = 10_000.0 * (2.0 * i - w);
    // PostHog's ingestion of old: both mistakes.
    let both = truth + inside - five_minute;
    // A newer ingestion that prices 1-hour writes: only the inclusive input.
    let one = truth + inside;
    let rows = vec![sonnet_row("both", both, t, audit_sums), sonnet_row("one", one, t, audit_sums)];
    let (costing, _) = price_rollup(PriceTable::bundled(), &rows);
    let a = audit(&rows, &costing);
    let group = |op: &str| a.groups.iter().find(|g| g.operation == op).unwrap();
    assert_eq!(group("both").patterns, [Pattern::CacheInsideInput, Pattern::OneHourCacheWrites]);
    assert_eq!(group("one").patterns, [Pattern::CacheInsideInput]);
    assert!((group("both").audited_usd - truth).abs() < 1e-12 && (group("one").audited_usd - truth).abs() < 1e-12);
    let f = |p: Pattern| a.patterns.iter().find(|x| x.pattern == Some(p)).unwrap();
    assert!((f(Pattern::CacheInsideInput).recorded_minus_true_usd - 2.0 * inside).abs() < 1e-12);
    assert!((f(Pattern::OneHourCacheWrites).recorded_minus_true_usd + five_minute).abs() < 1e-12);
    assert_eq!(f(Pattern::OneHourCacheWrites).operations, ["both"]);
}
