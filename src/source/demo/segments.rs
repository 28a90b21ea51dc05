//! The segments plant: a costly user and a feature-flag experiment.
//!
//! One key account (`distinct_id` [`COSTLY_USER`]) sends about
//! [`COSTLY_TRACE_SHARE`] of the traces, so it holds about that share of the
//! spend among a few hundred users. Every generation carries the user's
//! `plan` (a custom property). The retrieval step runs the experiment
//! [`FLAG`]: its calls carry the user's variant, and the `test` variant's
//! longer prompt asks for more results, doubling the call's tokens, so it
//! costs 2x per call. The choices draw on their own random stream, seeded
//! from the demo's seed, so the other events stay as they were.

use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use std::collections::BTreeSet;

/// The key account's `distinct_id`.
pub const COSTLY_USER: &str = "key-account-ops";
/// Share of traces the key account sends.
pub const COSTLY_TRACE_SHARE: f64 = 0.15;
/// The experiment's property, as PostHog's SDKs name a flag's variant.
pub const FLAG: &str = "$feature/retrieval-prompt-v2";
/// The custom property naming the user's plan.
pub const PLAN: &str = "plan";
/// How many times the `test` variant's tokens are the `control` variant's.
pub const TEST_TOKEN_FACTOR: u64 = 2;

/// What the plant put in the project, from PostHog's recorded cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct SegmentTruth {
    pub costly_user: String,
    /// PostHog's recorded cost of the key account's calls, and of every call.
    pub costly_user_cost_usd: f64,
    pub recorded_cost_usd: f64,
    /// Distinct `distinct_id`s.
    pub users: u64,
    pub flag: String,
    /// The flag's variants, `control` then `test`.
    pub variants: Vec<VariantTruth>,
}

/// One variant's calls and their recorded cost.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
pub struct VariantTruth {
    pub variant: String,
    pub calls: u64,
    pub cost_usd: f64,
}

/// The plant's own random stream and what it has seen.
pub(super) struct SegmentPlant {
    rng: Pcg64,
    users: BTreeSet<String>,
}

impl SegmentPlant {
    /// A plant drawing from a stream seeded from `seed`.
    pub(super) fn new(seed: u64) -> Self {
        SegmentPlant { rng: Pcg64::seed_from_u64(seed ^ 0x5e65_e175), users: BTreeSet::new() }
    }

    /// The user of the next trace: the key account, or the one drawn.
    pub(super) fn user(&mut self, drawn: String) -> String {
        if self.rng.random_bool(COSTLY_TRACE_SHARE) {
            COSTLY_USER.to_string()
        } else {
            drawn
        }
    }

    /// The plan and the flag variant of `user`, fixed per user by its hash.
    pub(super) fn tags(user: &str) -> (&'static str, &'static str) {
        let h = crate::source::digest::city_hash(user.as_bytes());
        let plan = if user == COSTLY_USER { "enterprise" } else { ["free", "free", "free", "free", "free", "pro", "pro", "pro", "team", "enterprise"][(h % 10) as usize] };
        (plan, if (h >> 8).is_multiple_of(2) { "control" } else { "test" })
    }

    /// Counts one call of `user` with PostHog's recorded cost `cost`, in
    /// `variant` when it ran the experiment.
    pub(super) fn record(&mut self, truth: &mut SegmentTruth, user: &str, cost: f64, variant: Option<&str>) {
        if self.users.insert(user.to_string()) {
            truth.users = self.users.len() as u64;
        }
        truth.recorded_cost_usd += cost;
        if user == COSTLY_USER {
            truth.costly_user_cost_usd += cost;
        }
        if let Some(v) = variant {
            let at = truth.variants.iter().position(|t| t.variant == v).unwrap_or_else(|| {
                truth.variants.push(VariantTruth { variant: v.to_string(), ..VariantTruth::default() });
                crate::order::sort_by(&mut truth.variants, |a, b| a.variant.cmp(&b.variant));
                truth.variants.iter().position(|t| t.variant == v).unwrap_or_default()
            });
            truth.variants[at].calls += 1;
            truth.variants[at].cost_usd += cost;
        }
    }
}
