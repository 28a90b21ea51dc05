//! Stage 2, pricing: what each model's tokens cost, and the cost of the
//! generations PostHog left unpriced.
//!
//! [`ModelPrice::cost`] applies each provider's token accounting (Anthropic
//! reports input without cache tokens; the others include cache reads in
//! input). [`Costing`] holds the resolved price of every (model, provider)
//! of a dataset and adds the backfilled cost to PostHog's.

use crate::analysis::dataset::TokenSums;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

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
}

impl ModelPrice {
    /// Cost of `t` tokens for `provider`'s accounting. `long_context` says the
    /// prompt passed 200k tokens, which reprices the whole request.
    pub fn cost(&self, t: &TokenSums, provider: &str, long_context: bool) -> f64 {
        let (input, output) = match (long_context, self.input_above_200k) {
            (true, Some(i)) => (i, self.output_above_200k.unwrap_or(self.output)),
            _ => (self.input, self.output),
        };
        let read = self.cache_read.unwrap_or(input);
        let write = self.cache_write.unwrap_or(input);
        let n = |x: u64| x as f64;
        let prompt = if cache_excluded_from_input(provider) {
            n(t.input) * input + n(t.cache_read) * read + n(t.cache_write) * write
        } else {
            n(t.input.saturating_sub(t.cache_read + t.cache_write)) * input + n(t.cache_read) * read + n(t.cache_write) * write
        };
        let reasoning = self.reasoning.map_or(0.0, |r| n(t.reasoning) * (r - output));
        prompt + n(t.output) * output + reasoning
    }
}

/// Whether `provider` reports input tokens without the cached ones (Anthropic).
pub fn cache_excluded_from_input(provider: &str) -> bool {
    let p = provider.to_ascii_lowercase();
    p.contains("anthropic") || p.contains("bedrock") && p.contains("claude")
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
    /// By (model, provider) as they appear in the events.
    pub prices: BTreeMap<(String, String), Resolution>,
}

impl Costing {
    /// The price resolved for a model, if any.
    pub fn price(&self, model: &str, provider: &str) -> Option<&ModelPrice> {
        self.prices.get(&(model.to_string(), provider.to_string())).map(|r| &r.price)
    }

    /// PostHog's cost plus the backfilled cost of unpriced generations
    /// (zero for them when the model has no price either).
    pub fn total(&self, posthog_cost: f64, unpriced: &TokenSums, model: &str, provider: &str) -> f64 {
        posthog_cost + self.backfill(unpriced, model, provider).unwrap_or(0.0)
    }

    /// The cost of unpriced tokens, when the model has a price.
    pub fn backfill(&self, unpriced: &TokenSums, model: &str, provider: &str) -> Option<f64> {
        if *unpriced == TokenSums::default() {
            return Some(0.0);
        }
        Some(self.price(model, provider)?.cost(unpriced, provider, false))
    }
}

#[cfg(test)]
mod tests {
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
        let t = TokenSums { input: 1_000_000, ..TokenSums::default() };
        assert_eq!(c.backfill(&t, "m", "p"), None);
        assert_eq!(c.total(1.0, &t, "m", "p"), 1.0);
        c.prices.insert(("m".into(), "p".into()), Resolution { key: "m".into(), rule: "exact".into(), price: ModelPrice { input: 1e-6, ..ModelPrice::default() } });
        assert!((c.total(1.0, &t, "m", "p") - 2.0).abs() < 1e-12);
    }
}
