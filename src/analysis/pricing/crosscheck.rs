//! Stage 2 over a dataset: resolve every model, backfill the generations
//! PostHog left unpriced, and cross-check PostHog's cost against the table.

use super::resolve::{Match, Rule};
use super::table::{PriceTable, TableSource};
use super::{cache_excluded_from_input, cache_in_input_flagged, unpriced_long_context, Costing, ModelPrice, Resolution};
use crate::analysis::dataset::{RecordedCost, RollupRow, TokenSums};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// A model's cost is flagged when PostHog's and the table's differ by more
/// than this share of the table's.
pub const GAP_THRESHOLD: f64 = 0.05;

/// Stage 2's findings, written as `data/model_pricing.json`.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct PricingReport {
    pub source: TableSource,
    pub totals: PricingTotals,
    /// Most expensive first (PostHog's cost plus the backfilled).
    pub models: Vec<ModelPricing>,
    /// How the figures were obtained, where it is not self-evident.
    pub notes: Vec<String>,
}

/// Totals over every generation of the rollup.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PricingTotals {
    pub generations: u64,
    /// Generations PostHog gave a cost.
    pub priced_by_posthog: u64,
    pub posthog_usd: f64,
    /// Unpriced generations given a cost from the table, and that cost.
    pub backfilled_calls: u64,
    pub backfilled_usd: f64,
    /// Generations left without a cost (no entry for their provider and no
    /// rate recorded by PostHog).
    pub unpriced_calls: u64,
    /// PostHog's cost plus the backfilled.
    pub total_usd: f64,
    pub models: u64,
    /// Models without a table entry for their provider.
    pub unresolved_models: u64,
    /// Of those, the models priced at the rate PostHog recorded.
    #[serde(default)]
    pub recorded_rate_models: u64,
    pub flagged_models: u64,
}

/// Which price a model's unpriced calls get, as `ModelPricing::basis` names it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PriceBasis {
    /// A table entry of the event's own provider.
    #[default]
    Entry,
    /// A table entry of an alias of the event's provider (`resolve::CLAUDE_HOSTS`).
    Alias,
    /// A table entry of any provider: the events name none.
    AnyProvider,
    /// No entry for the provider: the per-token rate PostHog recorded for the
    /// model's other calls in the window.
    PosthogRecordedRate,
    /// No entry for the provider and no recorded rate: the calls stay unpriced.
    Unpriced,
}

/// The key and rule [`Costing`] records for a model priced at PostHog's recorded rate.
pub const RECORDED_RATE_RULE: &str = "posthog-recorded-rate";

/// One (model, provider) as the events name it.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelPricing {
    pub model: String,
    pub provider: String,
    /// The table entry that prices it, the rule that found it, and the
    /// entry's `litellm_provider` (another provider's when the event's own
    /// does not list the model).
    pub resolved_key: Option<String>,
    pub rule: Option<Rule>,
    pub table_provider: Option<String>,
    /// Which price was used, and why, in words.
    #[serde(default)]
    pub basis: PriceBasis,
    #[serde(default)]
    pub why: String,
    /// What PostHog recorded of the calls carrying `$ai_input_cost_usd` and
    /// `$ai_output_cost_usd` (the source of a recorded rate).
    #[serde(default)]
    pub recorded: RecordedCost,
    /// The table entry's price, or the recorded rate.
    pub price: Option<ModelPrice>,
    /// Claude cache prices missing from the table, taken from Anthropic's multipliers.
    pub cache_prices_derived: bool,
    pub calls: u64,
    /// Calls PostHog left without a cost.
    pub unpriced_calls: u64,
    /// Calls whose prompt passed 200k tokens.
    pub long_context_calls: u64,
    pub backfilled_calls: u64,
    pub backfilled_usd: f64,
    /// PostHog's cost of the calls it priced.
    pub posthog_usd: f64,
    /// The table's cost of the same calls' tokens.
    pub table_usd: Option<f64>,
    /// `posthog_usd / table_usd - 1`, when the table's cost is not zero.
    pub gap_ratio: Option<f64>,
    /// Whether the gap exceeds [`GAP_THRESHOLD`].
    pub flagged: bool,
    /// A guess at the cause of a flagged gap.
    pub gap_reason: Option<String>,
}

/// Runs stage 2 on the rollup: the prices of every (model, provider) seen,
/// and the report of backfill and cross-check.
pub fn price_rollup(table: &PriceTable, rollup: &[RollupRow]) -> (Costing, PricingReport) {
    let mut groups: BTreeMap<(&str, &str), Vec<&RollupRow>> = BTreeMap::new();
    for row in rollup {
        groups.entry((&row.model, &row.provider)).or_default().push(row);
    }
    let mut costing = Costing::default();
    let mut models = Vec::new();
    let mut notes = Notes::default();
    for ((model, provider), rows) in groups {
        let found = table.resolve_match(model, provider);
        let mut recorded = RecordedCost::default();
        rows.iter().for_each(|r| recorded.add(&r.recorded));
        let rate = found.is_none().then(|| recorded_rate(&recorded, provider)).flatten();
        if let Some(m) = &found {
            costing.prices.insert((model.to_string(), provider.to_string()), m.resolution());
            notes.alias |= m.alias(provider);
            notes.any_provider |= provider.trim().is_empty();
            notes.derived_cache |= m.entry.cache_prices_derived;
        } else if let Some(price) = &rate {
            costing.prices.insert((model.to_string(), provider.to_string()), Resolution { key: model.to_string(), rule: RECORDED_RATE_RULE.into(), price: price.clone() });
            notes.recorded_rate = true;
        }
        let (basis, why) = basis(found.as_ref(), provider, &recorded, rate.is_some());
        let mut mp = ModelPricing {
            model: model.to_string(),
            provider: provider.to_string(),
            resolved_key: found.map(|m| m.entry.key.clone()),
            rule: found.map(|m| m.rule),
            table_provider: found.map(|m| m.entry.provider.clone()),
            basis,
            why,
            recorded,
            price: found.map(|m| m.entry.price.clone()).or(rate),
            cache_prices_derived: found.is_some_and(|m| m.entry.cache_prices_derived),
            ..ModelPricing::default()
        };
        for row in &rows {
            mp.calls += row.generations;
            mp.unpriced_calls += row.unpriced;
            mp.long_context_calls += row.long_context;
            mp.posthog_usd += row.cost_usd;
            notes.long_context_estimate |= row.long_context > 0 && row.long_context < row.generations;
            notes.cache_flag |= row.cache_reporting != Default::default();
        }
        if mp.price.is_some() {
            for row in &rows {
                mp.backfilled_usd += costing.backfill_row(row).unwrap_or(0.0);
                mp.backfilled_calls += row.unpriced;
            }
        }
        if let Some(m) = found {
            cross_check(&mut mp, &m.entry.price, &rows);
        }
        models.push(mp);
    }
    crate::order::sort_by(&mut models, |a, b| (b.posthog_usd + b.backfilled_usd).total_cmp(&(a.posthog_usd + a.backfilled_usd)).then_with(|| (&a.model, &a.provider).cmp(&(&b.model, &b.provider))));
    let totals = totals(&models);
    let report = PricingReport { source: table.source().clone(), totals, models, notes: notes.into_lines() };
    (costing, report)
}

/// PostHog's per-token rate over the calls that carry both costs: input
/// cost per input token and output cost per output token, as `$ai_input_tokens`
/// counts them (so for Anthropic's accounting the rate folds the cache
/// tokens' cost into the input tokens' price). `None` without such calls, or
/// when their input or output tokens are zero (no rate to divide out).
/// Cache tokens are priced so that [`ModelPrice::cost`] charges exactly
/// input tokens x input rate, whatever the provider's accounting.
fn recorded_rate(r: &RecordedCost, provider: &str) -> Option<ModelPrice> {
    if r.calls == 0 || r.input_tokens == 0 || r.output_tokens == 0 {
        return None;
    }
    let input = r.input_usd / r.input_tokens as f64;
    let cache = if cache_excluded_from_input(provider) { 0.0 } else { input };
    Some(ModelPrice { input, output: r.output_usd / r.output_tokens as f64, cache_read: Some(cache), cache_write: Some(cache), ..ModelPrice::default() })
}

/// Which price a model gets and why, for `model_pricing.json`.
fn basis(found: Option<&Match>, provider: &str, r: &RecordedCost, rated: bool) -> (PriceBasis, String) {
    let per_m = |usd: f64, tokens: u64| usd / tokens as f64 * 1e6;
    match found {
        Some(m) if provider.trim().is_empty() => (PriceBasis::AnyProvider, format!("table entry {} ({}) of provider {}: the events name no provider", m.entry.key, m.rule.as_str(), m.entry.provider)),
        Some(m) if m.alias(provider) => (
            PriceBasis::Alias,
            format!("table entry {} ({}) of provider {}, an alias of {provider}: Claude's list price is the same on Anthropic, Bedrock and Vertex AI", m.entry.key, m.rule.as_str(), m.entry.provider),
        ),
        Some(m) => (PriceBasis::Entry, format!("table entry {} ({}) of provider {}", m.entry.key, m.rule.as_str(), m.entry.provider)),
        None if rated => (
            PriceBasis::PosthogRecordedRate,
            format!(
                "PostHog's recorded rate: ${:.4} input and ${:.4} output per 1M tokens, from {} calls in the window (no table entry for provider {provider:?})",
                per_m(r.input_usd, r.input_tokens),
                per_m(r.output_usd, r.output_tokens),
                r.calls
            ),
        ),
        None => (PriceBasis::Unpriced, format!("unpriced: no entry for provider {provider:?}, and PostHog recorded no cost of this model in the window")),
    }
}

/// `data/model_pricing.json`: the report, pretty-printed, fields in a fixed order.
pub fn model_pricing_json(report: &PricingReport) -> String {
    let mut text = serde_json::to_string_pretty(report).expect("the pricing report has only string keys");
    text.push('\n');
    text
}

/// Compares PostHog's cost of the priced calls with the table's cost of
/// their tokens, and guesses the cause of a gap: the first alternative
/// costing of the same tokens that lands within the threshold of PostHog's.
fn cross_check(mp: &mut ModelPricing, price: &ModelPrice, rows: &[&RollupRow]) {
    let priced_calls = mp.calls.saturating_sub(mp.unpriced_calls);
    if priced_calls == 0 {
        return;
    }
    let provider = mp.provider.as_str();
    // Each call's accounting: its flag, else its provider's; the first
    // alternative flips every call's.
    let inside: Vec<(TokenSums, u64)> = rows
        .iter()
        .map(|row| {
            let (t, c) = (priced_tokens(row), &row.cache_reporting);
            let inside = cache_in_input_flagged(&t, provider, c.exclusive.saturating_sub(c.unpriced_exclusive), c.inclusive.saturating_sub(c.unpriced_inclusive));
            (t, inside)
        })
        .collect();
    let (cache, held): (u64, u64) = inside.iter().fold((0, 0), |(c, h), (t, i)| (c + t.cache_read + t.cache_write, h + i));
    let exclusive = if cache == 0 { cache_excluded_from_input(provider) } else { held * 2 < cache };
    let no_cache_price = ModelPrice { cache_read: None, cache_write: None, ..price.clone() };
    let mut expected = 0.0;
    let mut alternatives: Vec<(&str, f64)> = vec![
        (if exclusive { "cache tokens counted inside input (inclusive accounting)" } else { "cache tokens counted twice (inside input and again at the cache price)" }, 0.0),
        ("cache tokens billed at the full input price", 0.0),
        ("long-context prices applied to every call", 0.0),
        ("long-context prices not applied", 0.0),
        ("reasoning tokens billed on top of output tokens", 0.0),
    ];
    for (row, (t, inside)) in rows.iter().zip(&inside) {
        let (t, inside) = (t, *inside);
        let calls = row.generations.saturating_sub(row.unpriced) as f64;
        let long = row.long_context as f64 - unpriced_long_context(row);
        let base = price.cost_mixed(t, inside, long, calls);
        expected += base;
        let costs = [
            price.cost_mixed(t, (t.cache_read + t.cache_write).saturating_sub(inside), long, calls),
            no_cache_price.cost_mixed(t, inside, long, calls),
            if price.input_above_200k.is_some() { price.cost_with(t, inside, true) } else { base },
            price.cost_with(t, inside, false),
            base + t.reasoning as f64 * price.output,
        ];
        alternatives.iter_mut().zip(costs).for_each(|(a, c)| a.1 += c);
    }
    mp.table_usd = Some(expected);
    if expected <= 0.0 {
        mp.flagged = mp.posthog_usd > 0.0;
        mp.gap_reason = mp.flagged.then(|| "the table prices these calls at $0".to_string());
        return;
    }
    let gap = mp.posthog_usd / expected - 1.0;
    mp.gap_ratio = Some(gap);
    mp.flagged = gap.abs() > GAP_THRESHOLD;
    if mp.flagged {
        let explains = |alt: f64| (alt - expected).abs() > expected * GAP_THRESHOLD / 2.0 && alt > 0.0 && (mp.posthog_usd / alt - 1.0).abs() <= GAP_THRESHOLD;
        let best = alternatives.iter().filter(|(_, alt)| explains(*alt)).min_by(|a, b| (mp.posthog_usd - a.1).abs().total_cmp(&(mp.posthog_usd - b.1).abs()));
        mp.gap_reason = Some(match best {
            Some((reason, _)) => reason.to_string(),
            None => format!("different price: PostHog's cost is {:.2}x the table's", gap + 1.0),
        });
    }
}

/// The tokens of the calls PostHog priced.
fn priced_tokens(row: &RollupRow) -> TokenSums {
    let (t, u) = (&row.tokens, &row.unpriced_tokens);
    TokenSums {
        input: t.input.saturating_sub(u.input),
        output: t.output.saturating_sub(u.output),
        cache_read: t.cache_read.saturating_sub(u.cache_read),
        cache_write: t.cache_write.saturating_sub(u.cache_write),
        reasoning: t.reasoning.saturating_sub(u.reasoning),
    }
}

fn totals(models: &[ModelPricing]) -> PricingTotals {
    let mut t = PricingTotals::default();
    for m in models {
        t.generations += m.calls;
        t.priced_by_posthog += m.calls.saturating_sub(m.unpriced_calls);
        t.posthog_usd += m.posthog_usd;
        t.backfilled_calls += m.backfilled_calls;
        t.backfilled_usd += m.backfilled_usd;
        t.unpriced_calls += m.unpriced_calls - m.backfilled_calls;
        t.models += 1;
        t.unresolved_models += u64::from(m.resolved_key.is_none());
        t.recorded_rate_models += u64::from(m.basis == PriceBasis::PosthogRecordedRate);
        t.flagged_models += u64::from(m.flagged);
    }
    t.total_usd = t.posthog_usd + t.backfilled_usd;
    t
}

/// Which approximations the report needs to state.
#[derive(Default)]
struct Notes {
    alias: bool,
    any_provider: bool,
    recorded_rate: bool,
    derived_cache: bool,
    long_context_estimate: bool,
    cache_flag: bool,
}

impl Notes {
    fn into_lines(self) -> Vec<String> {
        let mut lines = vec![format!(
            "Cross-check: PostHog's cost of the generations it priced against the table's price of the same tokens (less those of unpriced generations); gaps above {:.0}% are flagged with the likeliest cause.",
            GAP_THRESHOLD * 100.0
        )];
        if self.alias {
            lines.push("Some Claude models are priced from another host's entry (table_provider): Claude's list price is the same on Anthropic, Bedrock and Vertex AI.".into());
        }
        if self.any_provider {
            lines.push("Models sent without $ai_provider are priced from the best-matching entry of any provider.".into());
        }
        if self.recorded_rate {
            lines.push("Models without a table entry for their provider are priced at the per-token rate PostHog recorded for the same model and provider in the window ($ai_input_cost_usd per input token, $ai_output_cost_usd per output token).".into());
        }
        if self.derived_cache {
            lines.push("Claude cache prices missing from the table are taken as 0.1x (read) and 1.25x (write) the input price.".into());
        }
        if self.cache_flag {
            lines.push("Cache tokens are counted inside or apart from input tokens as each call's $ai_cache_reporting_exclusive says, as PostHog does; calls without it follow their provider (apart for Anthropic, inside for the others).".into());
        }
        if self.long_context_estimate {
            lines.push("Long-context (200k+) calls are counted per rollup cell, not per call: they are shared between priced and unpriced calls in proportion to their counts, and their share of the cell's tokens is bounded from below (each long call holds at least 200k prompt tokens, each other call fewer), so long-context costs are lower bounds.".into());
        }
        lines
    }
}

#[cfg(test)]
mod tests;
