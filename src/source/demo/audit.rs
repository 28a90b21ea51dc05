//! The demo's cost-audit plant: `safety_check` runs through LangChain, whose
//! Anthropic callback reports `$ai_input_tokens` with the cached system
//! prompt inside, and PostHog's ingestion, reading Anthropic input as
//! exclusive of cache tokens, bills those tokens a second time at the input
//! price: its recorded cost is too high by exactly that.
//!
//! The plant draws from its own generator (seeded from the project's seed),
//! so every other draw, and so every other event, stays as it was. It adds
//! cache tokens to `safety_check` calls only: the other plants' operations,
//! and so their truths, do not move. The project's true total
//! ([`super::Truth::cost_usd`]) counts these calls at their true cost (the
//! fresh input, the cache tokens at the cache prices); PostHog's recorded
//! total is higher by [`CostPatternTruth::overcharge_usd`].

use super::catalog::{DemoModel, Usage};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};

/// Tokens of `safety_check`'s cached system prompt (about 600 characters).
pub const CACHED_TOKENS: u64 = 158;
/// Share of the planted calls that read the cache; the others write it.
const READ_SHARE: f64 = 0.85;
/// Mixed into the project's seed for the plant's own generator.
const SEED_MIX: u64 = 0x0a0d_17c0_57a0_d175;

/// The truth of the cost-audit plant.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct CostPatternTruth {
    pub operation: String,
    /// Successful calls reported with the cache tokens inside their input.
    pub calls: u64,
    /// The cache tokens those calls' input counts hold.
    pub cache_tokens: u64,
    /// PostHog's recorded cost minus the true cost of those calls.
    pub overcharge_usd: f64,
}

/// The plant's generator and its truth.
pub struct CachePlant {
    rng: Pcg64,
    pub truth: CostPatternTruth,
}

impl CachePlant {
    /// The plant for a project seeded `seed`, on `operation`.
    pub fn new(seed: u64, operation: &str) -> Self {
        CachePlant { rng: Pcg64::seed_from_u64(seed ^ SEED_MIX), truth: CostPatternTruth { operation: operation.into(), ..CostPatternTruth::default() } }
    }

    /// `fresh` as LangChain reports it: the cached prompt read or written,
    /// and counted inside the input.
    /// When the call already reads or writes a cache (the What Changed
    /// plant's policy prompt on the same operation), those tokens are the
    /// ones counted inside the input.
    pub fn usage(&mut self, fresh: Usage) -> Usage {
        if fresh.cache_read + fresh.cache_write > 0 {
            return Usage { input: fresh.input + fresh.cache_read + fresh.cache_write, ..fresh };
        }
        let read = self.rng.random_bool(READ_SHARE);
        let (cache_read, cache_write) = if read { (CACHED_TOKENS, 0) } else { (0, CACHED_TOKENS) };
        Usage { input: fresh.input + CACHED_TOKENS, cache_read, cache_write, ..fresh }
    }

    /// Records one successful planted call of `model` with `reported` usage.
    pub fn record(&mut self, model: &DemoModel, reported: &Usage) {
        let cache = reported.cache_read + reported.cache_write;
        self.truth.calls += 1;
        self.truth.cache_tokens += cache;
        self.truth.overcharge_usd += cache as f64 * model.input / 1e6;
    }
}

/// The usage a call was billed for when its input count holds its cache
/// tokens: the input without them.
pub fn billed(reported: &Usage) -> Usage {
    Usage { input: reported.input.saturating_sub(reported.cache_read + reported.cache_write), ..*reported }
}
