//! Counts the HogQL queries sent against PostHog's hourly budget, and the
//! bytes of the answers, for the progress view.

use std::sync::{Arc, Mutex};

/// HogQL queries PostHog allows per team and hour in the worst case.
pub const HOURLY_BUDGET: u32 = 120;

/// Queries sent (retries and async re-sends included) and bytes received.
/// Clones share the same counts, so the page can keep one across runs.
#[derive(Clone, Debug, Default)]
pub struct Meter(Arc<Mutex<Counts>>);

#[derive(Debug, Default)]
struct Counts {
    sent: Vec<&'static str>,
    bytes: u64,
}

impl Meter {
    /// A meter at zero.
    pub fn new() -> Self {
        Self::default()
    }

    fn counts(&self) -> std::sync::MutexGuard<'_, Counts> {
        self.0.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Counts one query sent.
    pub fn count(&self, query: &'static str) {
        self.counts().sent.push(query);
    }

    /// Adds the bytes of an answer.
    pub fn add_bytes(&self, n: usize) {
        self.counts().bytes += n as u64;
    }

    /// Queries sent so far.
    pub fn used(&self) -> u32 {
        self.counts().sent.len() as u32
    }

    /// The budget they count against ([`HOURLY_BUDGET`]).
    pub fn budget(&self) -> u32 {
        HOURLY_BUDGET
    }

    /// The names of the queries sent, in order (a retried query appears again).
    pub fn sent(&self) -> Vec<&'static str> {
        self.counts().sent.clone()
    }

    /// Bytes of answer bodies received (as decoded text).
    pub fn bytes(&self) -> u64 {
        self.counts().bytes
    }
}
