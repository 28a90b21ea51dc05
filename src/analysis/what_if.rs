//! The what-if: an operation's token mix priced at another model. The
//! projection is price only: whether the candidate does the job as well is
//! for the user to check on a sample before switching.

use super::dataset::TokenSums;
use super::pricing::{cache_excluded_from_input, provider_family, PriceEntry, PriceTable};
use std::collections::BTreeSet;
use super::Analysis;
use serde::{Deserialize, Serialize};

/// An operation's cost now and at a candidate model, over the window and per 30 days.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Projection {
    pub operation: String,
    pub candidate: String,
    pub calls: u64,
    pub current_usd: f64,
    pub projected_usd: f64,
    pub current_monthly_usd: f64,
    pub projected_monthly_usd: f64,
}

impl Projection {
    /// Relative change of the cost (negative saves).
    pub fn change(&self) -> f64 {
        super::metrics::ratio(self.projected_usd - self.current_usd, self.current_usd)
    }
}

/// `t`, reported under `from`'s accounting of cache tokens, restated under `to`'s
/// (Anthropic reports cache tokens beside the input; OpenAI and others inside it).
pub fn restate_tokens(t: &TokenSums, from: &str, to: &str) -> TokenSums {
    let cached = t.cache_read + t.cache_write;
    let input = match (cache_excluded_from_input(from), cache_excluded_from_input(to)) {
        (true, false) => t.input + cached,
        (false, true) => t.input.saturating_sub(cached),
        _ => t.input,
    };
    TokenSums { input, ..*t }
}

/// `operation`'s calls in the window priced at `candidate`, with cache reads
/// and writes kept as they were. `None` when the operation has no calls.
pub fn project(a: &Analysis, operation: &str, candidate: &PriceEntry) -> Option<Projection> {
    let mixes: Vec<_> = a.metrics.by_operation_model.iter().filter(|m| m.operation == operation).collect();
    if mixes.is_empty() {
        return None;
    }
    let current_usd: f64 = mixes.iter().map(|m| m.totals.cost_usd).sum();
    let projected_usd: f64 = mixes
        .iter()
        .map(|m| candidate.price.cost(&restate_tokens(&m.totals.tokens, &m.provider, &candidate.provider), &candidate.provider, false))
        .sum();
    Some(Projection {
        operation: operation.to_string(),
        candidate: candidate.key.clone(),
        calls: mixes.iter().map(|m| m.totals.calls).sum(),
        current_usd,
        projected_usd,
        current_monthly_usd: a.monthly(current_usd),
        projected_monthly_usd: a.monthly(projected_usd),
    })
}

/// Models worth proposing: the table's chat models from the providers the
/// project already uses, by name.
pub fn candidates<'t>(a: &Analysis, table: &'t PriceTable) -> Vec<&'t PriceEntry> {
    let families: BTreeSet<String> = crate::order::set_of(a.metrics.by_model.iter().map(|g| provider_family(&g.provider)));
    let mut out: Vec<&PriceEntry> = table.entries().iter().filter(|e| families.contains(&provider_family(&e.provider))).collect();
    crate::order::sort_by(&mut out, |x, y| x.key.cmp(&y.key));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cache_tokens_move_between_accountings() {
        let t = TokenSums { input: 1000, output: 50, cache_read: 600, cache_write: 100, reasoning: 0 };
        assert_eq!(restate_tokens(&t, "anthropic", "openai").input, 1700);
        assert_eq!(restate_tokens(&t, "openai", "anthropic").input, 300);
        assert_eq!(restate_tokens(&t, "openai", "gemini"), t);
    }
}
