//! Stage 2, pricing: what each model's tokens cost, and the cost of the
//! generations PostHog left unpriced.
//!
//! [`ModelPrice::cost`] applies each provider's token accounting (Anthropic
//! reports input without cache tokens; the others include cache reads in
//! input). [`Costing`] holds the resolved price of every (model, provider)
//! of a dataset and adds the backfilled cost to PostHog's.
//!
//! The prices come from LiteLLM's table ([`PriceTable`]: live, or the bundled
//! snapshot), model names are matched to its keys by the rules of
//! [`resolve`], and [`price_rollup`] runs the whole stage over the rollup:
//! resolution, backfill, and the cross-check against PostHog's cost.

pub mod audit;
mod crosscheck;
mod names;
pub use names::provider_family;
pub mod resolve;
mod table;

pub use crosscheck::{model_pricing_json, price_rollup, ModelPricing, PriceBasis, PricingReport, PricingTotals, GAP_THRESHOLD, RECORDED_RATE_RULE};
pub use resolve::{Match, Rule, CLAUDE_HOSTS};
pub use table::{PriceEntry, PriceTable, TableSource, CHAT_MODES, LITELLM_LIVE_URL, SNAPSHOT_FILE};

use crate::analysis::dataset::{RollupRow, TokenSums, TraceOpRow};
use crate::contract::LONG_CONTEXT_TOKENS;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Anthropic's cache read price, as a share of the input price.
pub const ANTHROPIC_CACHE_READ_RATIO: f64 = 0.1;
/// Anthropic's cache write price (5-minute cache), as a share of the input price.
pub const ANTHROPIC_CACHE_WRITE_RATIO: f64 = 1.25;
/// Anthropic's cache write price with the 1-hour lifetime, as a share of the
/// input price (its prompt-caching price list: 2x base input).
pub const ANTHROPIC_CACHE_WRITE_1H_RATIO: f64 = 2.0;

/// Prices in USD per token.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct ModelPrice {
    pub input: f64,
    pub output: f64,
    /// Cache read price; when unknown, cache reads cost the input price.
    pub cache_read: Option<f64>,
    /// Cache write price; when unknown, cache writes cost the input price.
    pub cache_write: Option<f64>,
    /// Input price once a prompt passes 200k tokens (the whole request).
    pub input_above_200k: Option<f64>,
    /// Output price once a prompt passes 200k tokens.
    pub output_above_200k: Option<f64>,
    /// Reasoning-token price, when billed apart from output.
    pub reasoning: Option<f64>,
    /// Price of a cache write with Anthropic's 1-hour lifetime
    /// (`cache_creation_input_token_cost_above_1hr`), when the table gives it.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cache_write_1h: Option<f64>,
}

impl ModelPrice {
    /// Cost of `t` tokens for `provider`'s accounting. `long_context` says the
    /// prompt passed 200k tokens, which reprices the whole request.
    pub fn cost(&self, t: &TokenSums, provider: &str, long_context: bool) -> f64 {
        self.cost_with(t, cache_in_input(t, provider), long_context)
    }

    /// Cost of `t` tokens when `inside` of its cache tokens are already
    /// counted in `t.input` (0 for exclusive accounting, all of them for
    /// inclusive): the rest of the input is billed at the input price, and
    /// every cache token at its cache price.
    pub fn cost_with(&self, t: &TokenSums, inside: u64, long_context: bool) -> f64 {
        let (input, output) = match (long_context, self.input_above_200k) {
            (true, Some(i)) => (i, self.output_above_200k.unwrap_or(self.output)),
            _ => (self.input, self.output),
        };
        let read = self.cache_read.unwrap_or(input);
        let write = self.cache_write.unwrap_or(input);
        let n = |x: u64| x as f64;
        let prompt = n(t.input.saturating_sub(inside)) * input + n(t.cache_read) * read + n(t.cache_write) * write;
        let reasoning = self.reasoning.map_or(0.0, |r| n(t.reasoning) * (r - output));
        prompt + n(t.output) * output + reasoning
    }

    /// Cost of `t` tokens summed over `calls` calls, `long_context_calls` of
    /// which passed 200k prompt tokens (a count, or an estimate of one), when
    /// `inside` of the cache tokens are counted in `t.input` (see [`ModelPrice::cost_with`]).
    ///
    /// Token sums do not say which tokens belong to the long calls, so the
    /// share of the prompt (and, by the same share, of the output) priced at
    /// the long-context rate is the larger of two lower bounds: each long call
    /// holds at least 200k tokens, and each other call fewer than 200k. Exact
    /// when no call or every call is long; otherwise a lower bound.
    pub fn cost_mixed(&self, t: &TokenSums, inside: u64, long_context_calls: f64, calls: f64) -> f64 {
        let prompt = t.input + (t.cache_read + t.cache_write).saturating_sub(inside);
        if long_context_calls <= 0.0 || self.input_above_200k.is_none() || prompt == 0 {
            return self.cost_with(t, inside, false);
        }
        let (threshold, prompt) = (LONG_CONTEXT_TOKENS as f64, prompt as f64);
        let share = (long_context_calls * threshold / prompt).max(1.0 - (calls - long_context_calls).max(0.0) * threshold / prompt).clamp(0.0, 1.0);
        (1.0 - share) * self.cost_with(t, inside, false) + share * self.cost_with(t, inside, true)
    }

    /// Fills the cache prices a Claude model's table entry lacks with
    /// Anthropic's published multipliers of the input price (reads 0.1x,
    /// writes 1.25x), which hold wherever Claude is hosted; returns whether it
    /// filled any. Entries of other models keep missing cache prices missing:
    /// [`ModelPrice::cost`] then bills cache tokens at the input price, since
    /// there is no rule for them that holds across providers.
    pub fn fill_claude_cache_prices(&mut self, key: &str, provider: &str) -> bool {
        let claude = key.to_lowercase().contains("claude") || provider.to_lowercase().contains("anthropic");
        if !claude || (self.cache_read.is_some() && self.cache_write.is_some()) {
            return false;
        }
        self.cache_read.get_or_insert(self.input * ANTHROPIC_CACHE_READ_RATIO);
        self.cache_write.get_or_insert(self.input * ANTHROPIC_CACHE_WRITE_RATIO);
        true
    }
}

/// Whether `provider` reports input tokens without the cached ones (Anthropic):
/// the guess for calls that do not say so in `$ai_cache_reporting_exclusive`.
pub fn cache_excluded_from_input(provider: &str) -> bool {
    let p = provider.to_ascii_lowercase();
    p.contains("anthropic") || p.contains("bedrock") && p.contains("claude")
}

/// The cache tokens of `t` that its input count holds by `provider`'s accounting.
pub fn cache_in_input(t: &TokenSums, provider: &str) -> u64 {
    if cache_excluded_from_input(provider) {
        0
    } else {
        t.cache_read + t.cache_write
    }
}

/// The cache tokens of `t`, calls of a rollup row, that its input count
/// holds, as PostHog's `resolveCacheReportingExclusive` decides per call:
/// an explicit `$ai_cache_reporting_exclusive` wins (`inclusive` and
/// `exclusive` are the cache tokens of the calls flagged so), and the calls
/// without it follow the provider ([`cache_excluded_from_input`]).
pub fn cache_in_input_flagged(t: &TokenSums, provider: &str, exclusive: u64, inclusive: u64) -> u64 {
    let unflagged = (t.cache_read + t.cache_write).saturating_sub(exclusive + inclusive);
    inclusive + if cache_excluded_from_input(provider) { 0 } else { unflagged }
}

/// How a model name was matched to a price.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Resolution {
    /// The key in the price table.
    pub key: String,
    /// The rule that matched (exact, case-insensitive, ...).
    pub rule: String,
    pub price: ModelPrice,
}

/// The resolved prices of a dataset's models.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct Costing {
    /// By (model, provider) as they appear in the events. In JSON, a list of
    /// `{model, provider, resolution}` (JSON keys must be strings).
    #[serde(with = "prices_as_list")]
    pub prices: BTreeMap<(String, String), Resolution>,
    /// Audited over recorded cost where the cost audit found PostHog's cost
    /// wrong by a known pattern ([`audit::CostAudit::factors`]); the costs
    /// below are audited costs (see [`audit`]).
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub audit_factors: Vec<audit::AuditFactor>,
}

impl Costing {
    /// The price resolved for a model, if any.
    pub fn price(&self, model: &str, provider: &str) -> Option<&ModelPrice> {
        self.prices.get(&(model.to_string(), provider.to_string())).map(|r| &r.price)
    }

    /// The cost of a rollup row's unpriced tokens, when its model has a
    /// price, each call's cache tokens counted as its
    /// `$ai_cache_reporting_exclusive` says, else as its provider does
    /// ([`cache_in_input_flagged`]). It honours long-context prices:
    /// the row's long calls are shared between priced and unpriced calls in
    /// proportion to their counts (exact when all or none are unpriced), then
    /// priced as [`ModelPrice::cost_mixed`] says.
    pub fn backfill_row(&self, row: &RollupRow) -> Option<f64> {
        if row.unpriced_tokens == TokenSums::default() {
            return Some(0.0);
        }
        let r = self.prices.get(&(row.model.clone(), row.provider.clone()))?;
        let t = &row.unpriced_tokens;
        // A recorded rate prices cache tokens so that the provider's accounting
        // bills exactly input tokens x rate (`crosscheck::recorded_rate`).
        let inside = if r.rule == RECORDED_RATE_RULE {
            cache_in_input(t, &row.provider)
        } else {
            cache_in_input_flagged(t, &row.provider, row.cache_reporting.unpriced_exclusive, row.cache_reporting.unpriced_inclusive)
        };
        Some(r.price.cost_mixed(t, inside, unpriced_long_context(row), row.unpriced as f64))
    }
}

impl Costing {
    /// A per-trace row's cost: PostHog's plus its unpriced tokens priced at
    /// the first of its models that has a price (a trace-operation almost
    /// always runs one model). Rows carry model names only, so the price is
    /// looked up by name whatever the provider.
    ///
    /// PostHog's cost is the audited one: scaled by the audit factor of the
    /// row's operation and the first of its models that has one (whatever
    /// the provider).
    pub fn trace_op_cost(&self, row: &TraceOpRow) -> f64 {
        let recorded = match self.audit_factors.iter().find(|f| f.operation == row.operation && row.models.contains(&f.model)) {
            Some(f) if f.inside_usd_per_cache_token > 0.0 => {
                let cache = (row.tokens.cache_read + row.tokens.cache_write).saturating_sub(row.unpriced_tokens.cache_read + row.unpriced_tokens.cache_write);
                (row.cost_usd - cache as f64 * f.inside_usd_per_cache_token).max(0.0)
            }
            Some(f) => row.cost_usd * f.factor,
            None => row.cost_usd,
        };
        if row.unpriced_tokens == TokenSums::default() {
            return recorded;
        }
        let priced = row.models.iter().find_map(|m| self.prices.iter().find(|((model, _), _)| model == m).map(|((_, provider), r)| (provider, &r.price)));
        recorded + priced.map_or(0.0, |(provider, price)| price.cost(&row.unpriced_tokens, provider, false))
    }

    /// A rollup row's tokens as the provider bills them: where the audit
    /// found input counted with the cache tokens inside, without those.
    pub fn billed_tokens(&self, row: &RollupRow) -> TokenSums {
        let inside = self.audit_factors.iter().any(|f| f.cache_inside_input && f.operation == row.operation && f.model == row.model && f.provider == row.provider);
        let mut t = row.tokens;
        if inside {
            t.input = t.input.saturating_sub(row.audit.framework_cache.min(t.cache_read + t.cache_write));
        }
        t
    }

    /// A rollup row's PostHog cost, audited where the audit found a known
    /// pattern for its (operation, model, provider): cache tokens counted
    /// inside the input come off at the input price, row by row (so a day
    /// whose calls read the cache more than others is audited by its own
    /// tokens); any other pattern scales the cost by the cell's factor.
    pub fn audited_row(&self, row: &RollupRow) -> f64 {
        match self.audit_factors.iter().find(|f| f.operation == row.operation && f.model == row.model && f.provider == row.provider) {
            Some(f) if f.cache_inside_input => match self.price(&row.model, &row.provider) {
                Some(p) => (row.cost_usd - row.tokens.input.saturating_sub(self.billed_tokens(row).input) as f64 * p.input).max(0.0),
                None => row.cost_usd * f.factor,
            },
            Some(f) => row.cost_usd * f.factor,
            None => row.cost_usd,
        }
    }
}

/// The estimated number of a row's long-context calls among its unpriced ones.
fn unpriced_long_context(row: &RollupRow) -> f64 {
    if row.generations == 0 {
        return 0.0;
    }
    row.long_context as f64 * row.unpriced.min(row.generations) as f64 / row.generations as f64
}

/// [`Costing::prices`] as a JSON list.
mod prices_as_list {
    use super::Resolution;
    use serde::{Deserialize, Deserializer, Serialize, Serializer};
    use std::collections::BTreeMap;

    #[derive(Serialize)]
    struct Borrowed<'a> {
        model: &'a str,
        provider: &'a str,
        resolution: &'a Resolution,
    }

    #[derive(Deserialize)]
    struct Owned {
        model: String,
        provider: String,
        resolution: Resolution,
    }

    pub fn serialize<S: Serializer>(prices: &BTreeMap<(String, String), Resolution>, s: S) -> Result<S::Ok, S::Error> {
        s.collect_seq(prices.iter().map(|((model, provider), resolution)| Borrowed { model, provider, resolution }))
    }

    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<BTreeMap<(String, String), Resolution>, D::Error> {
        Ok(Vec::<Owned>::deserialize(d)?.into_iter().map(|o| ((o.model, o.provider), o.resolution)).collect())
    }
}

#[cfg(test)]
mod tests;
