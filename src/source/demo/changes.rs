//! Two planted changes of cost, for the report's What Changed section: a
//! model switch (`extract_entities` moves from Gemini Flash to Claude Haiku
//! [`SWITCH_DAYS_BEFORE_END`] days before the window's end) and a cache-hit
//! drop (`safety_check` attaches a cached policy document that nine calls in
//! ten read from the cache, until [`CACHE_DROP_DAYS_BEFORE_END`] days before
//! the end, when a date stamp put into it makes every call write the cache
//! and none read it).
//!
//! Neither draws from the generator's random stream (the cache hits come
//! from a generator of their own) nor changes a latency, so every other event
//! and every other plant's truth stays as it was.

use super::catalog::{ops, DemoModel, Usage, CLAUDE_HAIKU, GEMINI_FLASH};
use chrono::{DateTime, Duration, NaiveDate, Utc};
use rand::{Rng, SeedableRng};
use rand_pcg::Pcg64;
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;

/// Days before the window's end on which `extract_entities` switches model.
pub const SWITCH_DAYS_BEFORE_END: i64 = 13;
/// Days before the window's end from which `safety_check` stops reading its cache.
pub const CACHE_DROP_DAYS_BEFORE_END: i64 = 8;
/// Tokens of `safety_check`'s cached policy document.
pub const POLICY_TOKENS: u64 = 2_000;
/// Share of `safety_check` calls that read the policy from the cache before the drop.
const HIT_RATE: f64 = 0.9;
/// Days of the baseline the truth compares with (the "previous 14 days").
const BASELINE_DAYS: i64 = 14;
/// Mixed into the demo's seed for this plant's own random stream.
const SEED_SALT: u64 = 0x0063_6861_6e67_6573;

/// What caused a planted change.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ChangeCause {
    /// The operation's calls moved to another model.
    ModelSwitch,
    /// The operation's prompt stopped being read from the cache.
    CacheDrop,
}

/// The truth of one planted change, from the generated calls.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ChangeTruth {
    pub operation: String,
    /// The first day of the change.
    #[serde(with = "crate::time::date")]
    pub day: NaiveDate,
    pub cause: ChangeCause,
    /// The models before and after (the same for a cache drop).
    pub model_before: String,
    pub model_after: String,
    /// Cost per call (failed calls included) over the baseline days before
    /// `day`, and from `day` to the window's last complete day.
    pub per_call_before: f64,
    pub per_call_after: f64,
}

/// The plant's state while the demo is generated.
pub struct ChangePlant {
    on: bool,
    rng: Pcg64,
    window: (DateTime<Utc>, DateTime<Utc>),
    switch_day: NaiveDate,
    drop_day: NaiveDate,
    /// (operation, day) -> (cost, calls) of the two planted operations.
    daily: BTreeMap<(&'static str, NaiveDate), (f64, u64)>,
}

impl ChangePlant {
    /// The plant for a window ending at `end` of `days` days, planted when `on`.
    pub fn new(on: bool, seed: u64, end: DateTime<Utc>, days: u32) -> Self {
        let day = |before: i64| (end - Duration::days(before)).date_naive();
        ChangePlant {
            on,
            rng: Pcg64::seed_from_u64(seed ^ SEED_SALT),
            window: (end - Duration::days(i64::from(days)), end),
            switch_day: day(SWITCH_DAYS_BEFORE_END),
            drop_day: day(CACHE_DROP_DAYS_BEFORE_END),
            daily: BTreeMap::new(),
        }
    }

    /// The model `extract_entities` calls at `at`.
    pub fn entities_model(&self, at: DateTime<Utc>) -> DemoModel {
        if self.on && at.date_naive() >= self.switch_day {
            CLAUDE_HAIKU
        } else {
            GEMINI_FLASH
        }
    }

    /// `safety_check`'s usage at `at`, with the policy's cache tokens added.
    pub fn safety_usage(&mut self, at: DateTime<Utc>, usage: Usage) -> Usage {
        if !self.on {
            return usage;
        }
        let hit = at.date_naive() < self.drop_day && self.rng.random_bool(HIT_RATE);
        if hit {
            Usage { cache_read: POLICY_TOKENS, ..usage }
        } else {
            Usage { cache_write: POLICY_TOKENS, ..usage }
        }
    }

    /// Counts one generation of `operation` at `at` costing `cost`.
    pub fn observe(&mut self, operation: &'static str, at: DateTime<Utc>, cost: f64) {
        if self.on && (operation == ops::EXTRACT_ENTITIES || operation == ops::SAFETY_CHECK) {
            let e = self.daily.entry((operation, at.date_naive())).or_default();
            e.0 += cost;
            e.1 += 1;
        }
    }

    /// The planted changes' truths, once every call is counted.
    pub fn truths(&self) -> Vec<ChangeTruth> {
        if !self.on {
            return vec![];
        }
        let complete = |d: NaiveDate| {
            let start = d.and_hms_opt(0, 0, 0).expect("midnight").and_utc();
            start >= self.window.0 && start + Duration::days(1) <= self.window.1
        };
        let (first, last) = (self.window.0.date_naive(), (self.window.1 - Duration::nanoseconds(1)).date_naive());
        let days: Vec<NaiveDate> = first.iter_days().take_while(|d| *d <= last).filter(|d| complete(*d)).collect();
        let baseline = BASELINE_DAYS.min(days.len() as i64 / 2);
        let per_call = |op: &str, from: NaiveDate, to: NaiveDate| {
            let (cost, calls) = self.daily.range((op, from)..=(op, to)).fold((0.0, 0), |(c, n), (_, (x, m))| (c + x, n + m));
            cost / calls.max(1) as f64
        };
        let end = *days.last().expect("a complete day");
        let truth = |op: &str, day: NaiveDate, cause, before: &str, after: &str| ChangeTruth {
            operation: op.into(),
            day,
            cause,
            model_before: before.into(),
            model_after: after.into(),
            per_call_before: per_call(op, day - Duration::days(baseline), day - Duration::days(1)),
            per_call_after: per_call(op, day, end),
        };
        vec![
            truth(ops::EXTRACT_ENTITIES, self.switch_day, ChangeCause::ModelSwitch, GEMINI_FLASH.name, CLAUDE_HAIKU.name),
            truth(ops::SAFETY_CHECK, self.drop_day, ChangeCause::CacheDrop, CLAUDE_HAIKU.name, CLAUDE_HAIKU.name),
        ]
    }
}
