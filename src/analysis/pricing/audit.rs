//! The cost audit: every generation's cost recomputed from its tokens and
//! the price table, against the cost PostHog recorded, with the known
//! patterns of PostHog's pricing named and the money each accounts for.
//!
//! PostHog's ingestion (`nodejs/src/ingestion/ai/costs/`) prices a call from
//! `$ai_input_tokens`, the cache tokens and `$ai_output_tokens`. Its known
//! mistakes, each a [`Pattern`]:
//!
//! - **Cache tokens counted inside input** (Anthropic through LangChain or the
//!   Vercel AI SDK): those paths report input with the cache tokens inside,
//!   without `$ai_cache_reporting_exclusive`; ingestion reads Anthropic's input
//!   as exclusive and bills the cache tokens a second time at the input price.
//! - **1-hour cache writes at the 5-minute rate**: ingestion has one cache
//!   write price (1.25x input for Claude); Anthropic bills 1-hour writes
//!   (`$ai_cache_creation_1h_input_tokens`) at 2x.
//! - **Gemini reasoning counted twice**: for `gemini-2.5-*` and `gemini-3*`
//!   ingestion adds `$ai_reasoning_tokens` to the output tokens; where the SDK
//!   already counted them inside the output, they are billed twice.
//! - **Calls PostHog could not price**: no `$ai_total_cost_usd` (no
//!   `$ai_cost_model_source`): recorded as $0, recomputed from the table.
//!
//! For each (operation, model, provider) the audit computes the true cost
//! `T` (list prices, each pattern corrected) and what each set of patterns
//! would make PostHog record (`T` plus their corrections). The set whose cost
//! lies nearest the recorded cost, within [`GAP_THRESHOLD`], names the
//! patterns found; when none does, the gap is reported as unexplained and
//! PostHog's cost is kept.
//!
//! **The audited cost** is what the report sizes savings with: where PostHog's
//! recorded cost is wrong by a known pattern, the recomputed cost `T`;
//! elsewhere PostHog's recorded cost; for calls PostHog left unpriced, the
//! backfilled cost. The report states both the recorded and the audited cost.

use super::{cache_excluded_from_input, cache_in_input_flagged, unpriced_long_context, Costing, ModelPrice, ANTHROPIC_CACHE_WRITE_1H_RATIO, GAP_THRESHOLD, RECORDED_RATE_RULE};
use crate::analysis::dataset::{RollupRow, TokenSums};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// The gap between PostHog's recorded cost and the audited cost is material
/// (the page's headline) when it reaches this share of the audited cost:
/// below it, price-table drift between PostHog's and LiteLLM's prices can
/// account for it.
pub const MATERIAL_SHARE: f64 = 0.02;

/// A known way PostHog's recorded cost goes wrong.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Pattern {
    CacheInsideInput,
    OneHourCacheWrites,
    GeminiReasoningTwice,
    Unpriced,
}

impl Pattern {
    /// Every pattern, in the report's order.
    pub const ALL: [Pattern; 4] = [Pattern::CacheInsideInput, Pattern::OneHourCacheWrites, Pattern::GeminiReasoningTwice, Pattern::Unpriced];

    /// The pattern's name in the report and the page.
    pub fn title(self) -> &'static str {
        match self {
            Pattern::CacheInsideInput => "Anthropic cache tokens counted inside input (LangChain, Vercel AI SDK)",
            Pattern::OneHourCacheWrites => "1-hour cache writes priced at the 5-minute rate",
            Pattern::GeminiReasoningTwice => "Gemini reasoning tokens counted twice",
            Pattern::Unpriced => "Calls PostHog could not price ($ai_cost_model_source absent)",
        }
    }

    /// How the money was computed, and where the pattern is tracked.
    pub fn explanation(self) -> &'static str {
        match self {
            Pattern::CacheInsideInput => "the SDK path counts cache tokens inside $ai_input_tokens, and PostHog reads Anthropic input as exclusive, so those cache tokens are billed again at the input price (PostHog/posthog#39901, posthog-js#2829)",
            Pattern::OneHourCacheWrites => "PostHog bills every cache write at the 5-minute price (1.25x input); $ai_cache_creation_1h_input_tokens cost 2x input (PostHog/posthog#71306)",
            Pattern::GeminiReasoningTwice => "PostHog adds $ai_reasoning_tokens to the output of Gemini 2.5 and 3 models, whose output count already holds them here (PostHog/posthog#71065)",
            Pattern::Unpriced => "PostHog recorded no cost (unknown model or provider); the table's price of their tokens",
        }
    }
}

/// One pattern over the window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct PatternFinding {
    pub pattern: Option<Pattern>,
    /// Calls of the cells where the pattern was found.
    pub calls: u64,
    /// Tokens the pattern misprices (cache, 1-hour write, reasoning or all of the unpriced calls' tokens).
    pub tokens: u64,
    /// PostHog's recorded cost minus the true cost: above 0 PostHog reports
    /// too much, below 0 too little.
    pub recorded_minus_true_usd: f64,
    /// Operations where it was found, most money first.
    pub operations: Vec<String>,
}

/// The audit of one (operation, model, provider).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct AuditGroup {
    pub operation: String,
    pub model: String,
    pub provider: String,
    /// Calls PostHog priced, and their recorded cost.
    pub priced_calls: u64,
    pub recorded_usd: f64,
    /// The list-price cost of the same calls with every known pattern
    /// corrected; `None` without a table price for the model.
    pub recomputed_usd: Option<f64>,
    /// The patterns that explain the recorded cost (empty when it matches).
    pub patterns: Vec<Pattern>,
    /// Whether the recorded cost is within [`GAP_THRESHOLD`] of the
    /// recomputed cost once the patterns found are applied.
    pub explained: bool,
    /// The cost used for sizing: recomputed when a pattern explains the gap, else recorded.
    pub audited_usd: f64,
    /// Calls PostHog left unpriced, and their backfilled cost.
    pub unpriced_calls: u64,
    pub backfilled_usd: f64,
    /// When cache tokens counted inside the input are the only pattern:
    /// what PostHog over-recorded per cache token of the cell, so that each
    /// trace's cost is audited by its own cache tokens.
    #[serde(default)]
    pub inside_usd_per_cache_token: f64,
}

/// Where PostHog's recorded costs came from (`$ai_cost_model_source`).
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostSources {
    pub openrouter_usd: f64,
    pub manual_usd: f64,
    pub custom_usd: f64,
    pub passthrough_usd: f64,
    /// Priced calls without a source: the caller sent the cost, and PostHog kept it.
    pub caller_calls: u64,
    pub caller_usd: f64,
    /// Any other source value.
    pub other_usd: f64,
}

/// The cost audit of a window.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostAudit {
    /// `$ai_total_cost_usd` summed.
    pub recorded_usd: f64,
    /// Recorded cost plus the backfilled cost of unpriced calls (the totals before the audit).
    pub recorded_and_backfilled_usd: f64,
    /// The cost the report sizes savings with (see the module doc).
    pub audited_usd: f64,
    /// The patterns found, in [`Pattern::ALL`] order; only those with calls.
    pub patterns: Vec<PatternFinding>,
    /// Groups whose recorded cost no known pattern explains, largest gap first.
    pub unexplained: Vec<AuditGroup>,
    /// Every group, most recorded cost first.
    pub groups: Vec<AuditGroup>,
    pub sources: CostSources,
    /// Whether `|audited - recorded_and_backfilled|` reaches [`MATERIAL_SHARE`] of the audited cost.
    pub material: bool,
}

impl CostAudit {
    /// Whether PostHog's priced calls cost what the table says: no pattern
    /// other than unpriced calls, and no unexplained gap.
    pub fn matches(&self) -> bool {
        self.unexplained.is_empty() && self.patterns.iter().all(|p| p.pattern == Some(Pattern::Unpriced))
    }

    /// The money the mispricing patterns account for (recorded minus true, unpriced calls aside).
    pub fn mispriced_usd(&self) -> f64 {
        self.patterns.iter().filter(|p| p.pattern != Some(Pattern::Unpriced)).map(|p| p.recorded_minus_true_usd).sum()
    }

    /// The factor that turns PostHog's recorded cost of an (operation, model,
    /// provider) into its audited cost: 1 where nothing was found.
    pub fn factors(&self) -> Vec<AuditFactor> {
        self.groups
            .iter()
            .filter(|g| g.explained && !g.patterns.is_empty() && g.recorded_usd > 0.0)
            .map(|g| AuditFactor {
                operation: g.operation.clone(),
                model: g.model.clone(),
                provider: g.provider.clone(),
                factor: g.audited_usd / g.recorded_usd,
                cache_inside_input: g.patterns.contains(&Pattern::CacheInsideInput),
                inside_usd_per_cache_token: g.inside_usd_per_cache_token,
            })
            .collect()
    }
}

/// Audited over recorded cost of one (operation, model, provider) ([`Costing::audit_factors`]).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct AuditFactor {
    pub operation: String,
    pub model: String,
    pub provider: String,
    pub factor: f64,
    /// Whether the input counts of these calls hold cache tokens PostHog read
    /// as apart ([`Pattern::CacheInsideInput`]): their billed input is less.
    #[serde(default)]
    pub cache_inside_input: bool,
    /// [`AuditGroup::inside_usd_per_cache_token`]: a trace's cost comes off
    /// by its own cache tokens rather than by the cell's factor.
    #[serde(default)]
    pub inside_usd_per_cache_token: f64,
}

/// Whether PostHog's ingestion adds reasoning tokens to the output of
/// `model` (its `REASONING_COST_MODELS`: `^gemini-2\.5-` and `^gemini-3(\.\d+)?-`),
/// read after any `provider/` prefix.
pub fn adds_reasoning_to_output(model: &str) -> bool {
    let m = model.rsplit('/').next().unwrap_or(model).to_ascii_lowercase();
    if m.starts_with("gemini-2.5-") {
        return true;
    }
    let Some(rest) = m.strip_prefix("gemini-3") else { return false };
    let rest = match rest.strip_prefix('.') {
        Some(minor) => {
            let after = minor.trim_start_matches(|c: char| c.is_ascii_digit());
            if after.len() == minor.len() {
                return false;
            }
            after
        }
        None => rest,
    };
    rest.starts_with('-')
}

/// The price of a cache write with the 1-hour lifetime: the table's, else
/// for Claude 2x input ([`ANTHROPIC_CACHE_WRITE_1H_RATIO`]), else the (5-minute) write price.
fn one_hour_write_price(p: &ModelPrice, model: &str, provider: &str) -> f64 {
    let claude = model.to_lowercase().contains("claude") || cache_excluded_from_input(provider);
    p.cache_write_1h.unwrap_or(if claude { p.input * ANTHROPIC_CACHE_WRITE_1H_RATIO } else { p.cache_write.unwrap_or(p.input) })
}

/// One group's sums while auditing.
#[derive(Default)]
struct Sums {
    calls: u64,
    recorded: f64,
    truth: f64,
    corrections: BTreeMap<Pattern, (f64, u64)>,
    unpriced: u64,
    unpriced_tokens: u64,
    backfilled: f64,
    /// Cache tokens (read and written) of the calls PostHog priced.
    cache_tokens: u64,
}

/// Audits the rollup with the prices `costing` resolved (models priced at
/// PostHog's own recorded rate are not recomputed: that would check PostHog
/// against itself).
pub fn audit(rollup: &[RollupRow], costing: &Costing) -> CostAudit {
    let mut groups: BTreeMap<(&str, &str, &str), Sums> = BTreeMap::new();
    let mut a = CostAudit::default();
    let mut listed: BTreeMap<(&str, &str, &str), bool> = BTreeMap::new();
    for row in rollup {
        let key = (row.operation.as_str(), row.model.as_str(), row.provider.as_str());
        let s = groups.entry(key).or_default();
        let priced_calls = row.generations.saturating_sub(row.unpriced);
        s.calls += priced_calls;
        s.recorded += row.cost_usd;
        s.unpriced += row.unpriced;
        s.unpriced_tokens += row.unpriced_tokens.total();
        s.cache_tokens += (row.tokens.cache_read + row.tokens.cache_write).saturating_sub(row.unpriced_tokens.cache_read + row.unpriced_tokens.cache_write);
        let backfill = costing.backfill_row(row).unwrap_or(0.0);
        s.backfilled += backfill;
        a.recorded_usd += row.cost_usd;
        let src = &row.audit;
        a.sources.openrouter_usd += src.openrouter_usd;
        a.sources.manual_usd += src.manual_usd;
        a.sources.custom_usd += src.custom_usd;
        a.sources.passthrough_usd += src.passthrough_usd;
        a.sources.caller_calls += src.unsourced_calls.saturating_sub(row.unpriced);
        a.sources.caller_usd += src.unsourced_usd;
        let resolution = costing.prices.get(&(row.model.clone(), row.provider.clone())).filter(|r| r.rule != RECORDED_RATE_RULE);
        let listed = listed.entry(key).or_insert(true);
        match resolution {
            Some(r) if priced_calls > 0 => {
                let (truth, corrections) = row_truth(row, &r.price);
                s.truth += truth;
                for (p, usd, tokens) in corrections {
                    let c = s.corrections.entry(p).or_default();
                    c.0 += usd;
                    c.1 += tokens;
                }
            }
            Some(_) => {}
            None => *listed &= priced_calls == 0,
        }
    }
    let s = &a.sources;
    a.sources.other_usd = (a.recorded_usd - s.openrouter_usd - s.manual_usd - s.custom_usd - s.passthrough_usd - s.caller_usd).max(0.0);
    let mut findings: BTreeMap<Pattern, (PatternFinding, BTreeMap<String, f64>)> = BTreeMap::new();
    for ((operation, model, provider), s) in groups {
        let mut g = AuditGroup {
            operation: operation.to_string(),
            model: model.to_string(),
            provider: provider.to_string(),
            priced_calls: s.calls,
            recorded_usd: s.recorded,
            unpriced_calls: s.unpriced,
            backfilled_usd: s.backfilled,
            audited_usd: s.recorded,
            explained: true,
            ..AuditGroup::default()
        };
        if listed[&(operation, model, provider)] && s.calls > 0 {
            g.recomputed_usd = Some(s.truth);
            match best_explanation(s.recorded, s.truth, &s.corrections) {
                Some(patterns) => {
                    if !patterns.is_empty() {
                        g.audited_usd = s.truth;
                    }
                    for p in &patterns {
                        let (usd, tokens) = s.corrections[p];
                        let (f, ops) = findings.entry(*p).or_insert_with(|| (PatternFinding { pattern: Some(*p), ..PatternFinding::default() }, BTreeMap::new()));
                        f.calls += s.calls;
                        f.tokens += tokens;
                        f.recorded_minus_true_usd += usd;
                        *ops.entry(operation.to_string()).or_default() += usd.abs();
                    }
                    g.patterns = patterns;
                    if g.patterns == [Pattern::CacheInsideInput] && s.cache_tokens > 0 {
                        g.inside_usd_per_cache_token = (s.recorded - g.audited_usd) / s.cache_tokens as f64;
                    }
                }
                None => g.explained = false,
            }
        }
        if s.unpriced > 0 && s.backfilled > 0.0 {
            let (f, ops) = findings.entry(Pattern::Unpriced).or_insert_with(|| (PatternFinding { pattern: Some(Pattern::Unpriced), ..PatternFinding::default() }, BTreeMap::new()));
            f.calls += s.unpriced;
            f.tokens += s.unpriced_tokens;
            f.recorded_minus_true_usd -= s.backfilled;
            *ops.entry(operation.to_string()).or_default() += s.backfilled;
        }
        a.recorded_and_backfilled_usd += g.recorded_usd + g.backfilled_usd;
        a.audited_usd += g.audited_usd + g.backfilled_usd;
        a.groups.push(g);
    }
    a.patterns = findings
        .into_values()
        .map(|(mut f, ops)| {
            let mut ops: Vec<(String, f64)> = ops.into_iter().collect();
            crate::order::sort_by(&mut ops, |x, y| y.1.total_cmp(&x.1).then_with(|| x.0.cmp(&y.0)));
            f.operations = ops.into_iter().map(|(o, _)| o).collect();
            f
        })
        .collect();
    crate::order::sort_by(&mut a.groups, |x, y| y.recorded_usd.total_cmp(&x.recorded_usd).then_with(|| (&x.operation, &x.model, &x.provider).cmp(&(&y.operation, &y.model, &y.provider))));
    a.unexplained = a.groups.iter().filter(|g| !g.explained).cloned().collect();
    let gap = |g: &AuditGroup| (g.recorded_usd - g.recomputed_usd.unwrap_or(g.recorded_usd)).abs();
    crate::order::sort_by(&mut a.unexplained, |x, y| gap(y).total_cmp(&gap(x)).then_with(|| (&x.operation, &x.model).cmp(&(&y.operation, &y.model))));
    a.material = (a.audited_usd - a.recorded_and_backfilled_usd).abs() >= MATERIAL_SHARE * a.audited_usd.max(f64::MIN_POSITIVE);
    a
}

/// The true cost of a row's priced calls, and each applicable pattern's
/// correction (what PostHog's mistake adds to it: recorded minus true) with
/// the tokens it touches.
fn row_truth(row: &RollupRow, price: &ModelPrice) -> (f64, Vec<(Pattern, f64, u64)>) {
    let (t, u) = (&row.tokens, &row.unpriced_tokens);
    let t = TokenSums {
        input: t.input.saturating_sub(u.input),
        output: t.output.saturating_sub(u.output),
        cache_read: t.cache_read.saturating_sub(u.cache_read),
        cache_write: t.cache_write.saturating_sub(u.cache_write),
        reasoning: t.reasoning.saturating_sub(u.reasoning),
    };
    let c = &row.cache_reporting;
    let inside = cache_in_input_flagged(&t, &row.provider, c.exclusive.saturating_sub(c.unpriced_exclusive), c.inclusive.saturating_sub(c.unpriced_inclusive));
    let calls = row.generations.saturating_sub(row.unpriced) as f64;
    let long = row.long_context as f64 - unpriced_long_context(row);
    let posthog_read = price.cost_mixed(&t, inside, long, calls);
    let mut corrections = Vec::new();
    // Cache tokens inside input, read as exclusive: only the Anthropic
    // accounting bills them twice (the others already count them inside).
    let framework = row.audit.framework_cache.min(t.cache_read + t.cache_write);
    let mut truth = posthog_read;
    if framework > 0 && cache_excluded_from_input(&row.provider) {
        truth = price.cost_mixed(&t, inside + framework, long, calls);
        corrections.push((Pattern::CacheInsideInput, posthog_read - truth, framework));
    }
    let one_hour = row.audit.cache_write_1h.min(t.cache_write);
    if one_hour > 0 {
        let extra = one_hour as f64 * (one_hour_write_price(price, &row.model, &row.provider) - price.cache_write.unwrap_or(price.input));
        truth += extra;
        corrections.push((Pattern::OneHourCacheWrites, -extra, one_hour));
    }
    if t.reasoning > 0 && adds_reasoning_to_output(&row.model) {
        let added = t.reasoning as f64 * price.output;
        if t.output >= t.reasoning {
            corrections.push((Pattern::GeminiReasoningTwice, added, t.reasoning));
        } else {
            // The output count leaves reasoning out: PostHog's addition is right.
            truth += added;
        }
    }
    (truth, corrections)
}

/// The set of patterns whose costing (the truth plus their corrections)
/// lies nearest `recorded`, within [`GAP_THRESHOLD`] of it; ties go to the
/// smaller set. `None` when no set comes that close.
fn best_explanation(recorded: f64, truth: f64, corrections: &BTreeMap<Pattern, (f64, u64)>) -> Option<Vec<Pattern>> {
    let patterns: Vec<(Pattern, f64)> = corrections.iter().map(|(p, (usd, _))| (*p, *usd)).collect();
    let mut best: Option<(f64, u32, u32)> = None;
    for mask in 0u32..(1 << patterns.len()) {
        let cost = truth + patterns.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, (_, usd))| usd).sum::<f64>();
        let gap = (recorded - cost).abs();
        if gap > GAP_THRESHOLD * cost.abs().max(recorded.abs()) && gap > 1e-12 {
            continue;
        }
        let size = mask.count_ones();
        if best.is_none_or(|(g, s, _)| gap < g - 1e-12 || (gap <= g + 1e-12 && size < s)) {
            best = Some((gap, size, mask));
        }
    }
    best.map(|(_, _, mask)| patterns.iter().enumerate().filter(|(i, _)| mask & (1 << i) != 0).map(|(_, (p, _))| *p).collect())
}

#[cfg(test)]
mod tests;
