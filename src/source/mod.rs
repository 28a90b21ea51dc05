//! Where the data comes from. A [`DataSource`] answers the query plan: each
//! method is one query (one HogQL query against PostHog), returning the
//! compact rows of [`crate::analysis::dataset`].
//!
//! - [`memory`]: answers from events held in memory (the demo project, a
//!   JSONL export), mirroring the HogQL semantics.
//! - [`posthog`]: answers with HogQL queries against PostHog's query API.
//! - [`demo`]: the seeded demo project with planted problems.

pub mod demo;
pub mod digest;
pub mod error;
pub mod event;
pub mod jsonl;
pub mod memory;
pub mod plan;
pub mod posthog;

use crate::analysis::dataset::{ErrorRow, LatencyRow, Overview, PrefixRow, RollupRow, SegmentRow, SignalRow, TraceOpRow, TraceRows, Window};
use crate::contract::BUCKETS;
pub use error::SourceError;

/// Which slice of the per-trace rows to read: keyset pagination on
/// `(trace_id, operation)`, a range of trace buckets, and an optional sample.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceOpsPage {
    /// Rows strictly after this `(trace_id, operation)`.
    pub after: Option<(String, String)>,
    pub limit: u64,
    /// Traces whose bucket ([`memory::sample_bucket`]: `cityHash64(trace_id) % 1000`)
    /// lies in `[from, to)`; disjoint ranges can be read concurrently.
    pub buckets: (u16, u16),
    /// Sampling of traces; `None` reads every trace.
    pub sample: Option<TraceSample>,
}

impl Default for TraceOpsPage {
    fn default() -> Self {
        TraceOpsPage { after: None, limit: 0, buckets: (0, BUCKETS), sample: None }
    }
}

/// A deterministic sample of traces: those in the buckets below
/// `keep_per_mille`, plus the `top_traces` most expensive traces of the
/// window (by PostHog's cost, ties by trace id), whatever their bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TraceSample {
    pub keep_per_mille: u16,
    pub top_traces: u64,
}

/// Which slice of the rollup to read: keyset pagination on its order key
/// (PostHog refuses `OFFSET` past its row cap).
#[derive(Clone, Debug, Default, PartialEq)]
pub struct RollupPage {
    /// Rows strictly after this key.
    pub after: Option<RollupKey>,
    pub limit: u64,
}

/// A rollup row's order key: day, operation, model, provider, error status.
pub type RollupKey = (chrono::NaiveDate, String, String, String, bool);

/// The order key of `r`.
pub fn rollup_key(r: &RollupRow) -> RollupKey {
    (r.day, r.operation.clone(), r.model.clone(), r.provider.clone(), r.is_error)
}

/// One page of rows and whether more follow.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
pub struct Page<T> {
    pub rows: Vec<T>,
    pub has_more: bool,
}

/// The query plan's questions. Rows come back in the order each method
/// documents, so two sources can be compared row for row.
#[allow(async_fn_in_trait)] // single-threaded in the browser; no Send bound wanted
pub trait DataSource {
    /// Counts, first/last seen and SDKs of the window.
    async fn overview(&self, w: &Window) -> Result<Overview, SourceError>;
    /// One page of the rollup by day, operation, model, provider, error
    /// status; in that order.
    async fn rollup(&self, w: &Window, page: &RollupPage) -> Result<Page<RollupRow>, SourceError>;
    /// Latency quantiles by operation, then by model; ordered by scope, key.
    async fn latency(&self, w: &Window) -> Result<Vec<LatencyRow>, SourceError>;
    /// Per (trace, operation) rows ordered by trace id, operation.
    async fn trace_ops(&self, w: &Window, page: &TraceOpsPage) -> Result<Page<TraceOpRow>, SourceError>;
    /// Repeated prompt prefixes (3+ calls), most calls first.
    async fn prefixes(&self, w: &Window) -> Result<Vec<PrefixRow>, SourceError>;
    /// Failed generations grouped, most frequent first.
    async fn errors(&self, w: &Window) -> Result<Vec<ErrorRow>, SourceError>;
    /// Generations of the given traces, ordered by trace id, time, uuid: the
    /// first [`crate::contract::generations_per_trace`] of each trace; and
    /// their spans so ordered, one past [`crate::contract::spans_per_trace`] at most.
    async fn generations(&self, w: &Window, trace_ids: &[String]) -> Result<TraceRows, SourceError>;
    /// Evaluations, feedback, metrics and embedding calls grouped
    /// ([`SignalRow`]), in its order, at most [`crate::contract::SIGNAL_ROWS`].
    async fn signals(&self, w: &Window) -> Result<Vec<SignalRow>, SourceError>;
    /// Spend by user and by custom or feature-flag property value, in
    /// [`SegmentRow`]'s order.
    async fn segments(&self, w: &Window) -> Result<Vec<SegmentRow>, SourceError>;
}
