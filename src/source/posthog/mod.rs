//! The PostHog data source: each query of the plan as HogQL through
//! PostHog's query API. Natively testable: the HTTP layer is a
//! [`Transport`] the browser implements with `fetch`.
//!
//! ```text
//! let client = Client::new(transport, ApiKey::new(&key), Host::Auto)
//!     .with_cancel(token).with_meter(meter).with_notices(|n| ...);
//! let found = discover(&client).await?;            // projects to pick from
//! let source = PostHogSource::new(client, &project_id)?;
//! let fetched = plan::fetch(&source, window, &settings, &mut progress).await;
//! ```

pub mod api;
#[cfg(target_arch = "wasm32")]
pub mod browser;
pub mod client;
pub mod decode;
pub mod discovery;
pub mod escape;
pub mod hogql;
pub mod meter;
#[cfg(not(target_arch = "wasm32"))]
pub mod native;
pub mod transport;

pub use api::Host;
pub use client::{ApiKey, Client, Notice, Rank, RetryPolicy};
pub use discovery::{discover, key_scopes, Discovery, KeyScopes, ProjectChoice};
pub use hogql::PayloadTable;
pub use meter::{Meter, HOURLY_BUDGET};
pub use transport::{CancelToken, Cancelled, HttpRequest, HttpResponse, Method, Transport, TransportError};

use super::{DataSource, Page, RollupPage, SourceError, TraceOpsPage};
use crate::analysis::dataset::*;
use std::cell::Cell;
use std::collections::BTreeSet;

/// Answers the plan's queries from one PostHog project.
pub struct PostHogSource<T: Transport> {
    client: Client<T>,
    project: String,
    /// Where payloads are read: decided by the overview's answer.
    payloads: Cell<PayloadTable>,
}

impl<T: Transport> PostHogSource<T> {
    /// Queries `project` (a numeric id) through `client`.
    pub fn new(client: Client<T>, project: &str) -> Result<Self, SourceError> {
        let project = api::project_id(project).map_err(SourceError::NotFound)?;
        Ok(PostHogSource { client, project, payloads: Cell::new(PayloadTable::Events) })
    }

    /// The client (its meter, host and cancel token).
    pub fn client(&self) -> &Client<T> {
        &self.client
    }

    /// The table payloads are read from.
    pub fn payload_table(&self) -> PayloadTable {
        self.payloads.get()
    }

    /// Runs `q` at `rank`: the overview, rollup, per-trace pages and
    /// generations are urgent (the plan's later queries wait on them);
    /// prefixes, latency and errors only the report needs.
    async fn run<R>(&self, q: hogql::Query, rank: Rank, decode: impl Fn(&str) -> Result<R, SourceError>) -> Result<R, SourceError> {
        self.client.query(&self.project, &q, rank, decode).await
    }
}

impl<T: Transport> DataSource for PostHogSource<T> {
    async fn overview(&self, w: &Window) -> Result<Overview, SourceError> {
        let o = self.run(hogql::overview(w), Rank::Urgent, decode::overview).await?;
        // Payloads missing from `events`: newer ingestion keeps them in
        // `posthog.ai_events`, read merged with `events`, so what it lacks still comes from `events`.
        let table = if o.generations > 0 && o.with_payloads < o.generations { PayloadTable::AiEvents } else { PayloadTable::Events };
        self.payloads.set(table);
        Ok(o)
    }

    async fn rollup(&self, w: &Window, page: &RollupPage) -> Result<Page<RollupRow>, SourceError> {
        let limit = page.limit.min(crate::contract::MAX_ROWS - 1);
        let page = RollupPage { limit, ..page.clone() };
        let mut rows = self.run(hogql::rollup(w, &page), Rank::Urgent, decode::rollup).await?;
        let has_more = rows.len() as u64 > limit;
        rows.truncate(limit as usize);
        Ok(Page { rows, has_more })
    }

    async fn latency(&self, w: &Window) -> Result<Vec<LatencyRow>, SourceError> {
        self.run(hogql::latency(w), Rank::Background, decode::latency).await
    }

    async fn trace_ops(&self, w: &Window, page: &TraceOpsPage) -> Result<Page<TraceOpRow>, SourceError> {
        let limit = page.limit.min(crate::contract::MAX_ROWS - 1);
        let page = TraceOpsPage { limit, ..page.clone() };
        self.run(hogql::trace_ops(w, &page), Rank::Urgent, |body| decode::trace_ops(body, limit)).await
    }

    async fn prefixes(&self, w: &Window) -> Result<Vec<PrefixRow>, SourceError> {
        let table = self.payloads.get();
        match self.run(hogql::prefixes(w, table), Rank::Background, decode::prefixes).await {
            Err(e) if table == PayloadTable::AiEvents && no_ai_events(&e) => self.run(hogql::prefixes(w, PayloadTable::Events), Rank::Background, decode::prefixes).await,
            other => other,
        }
    }

    async fn errors(&self, w: &Window) -> Result<Vec<ErrorRow>, SourceError> {
        self.run(hogql::errors(w), Rank::Background, decode::errors).await
    }

    async fn generations(&self, w: &Window, trace_ids: &[String]) -> Result<TraceRows, SourceError> {
        let ids: BTreeSet<String> = crate::order::set_of(trace_ids.iter().cloned());
        let sorted: Vec<String> = ids.iter().cloned().collect();
        let table = self.payloads.get();
        let rows = match self.generations_from(w, &sorted, table).await {
            Err(e) if table == PayloadTable::AiEvents && no_ai_events(&e) => self.generations_from(w, &sorted, PayloadTable::Events).await,
            other => other,
        }?;
        // The queries name traces by hash: a trace that shares one is not ours.
        let generations = rows.generations.into_iter().filter(|g| ids.contains(&g.trace_id)).collect();
        Ok(TraceRows { generations, spans: rows.spans.into_iter().filter(|s| ids.contains(&s.trace_id)).collect() })
    }

    async fn signals(&self, w: &Window) -> Result<Vec<SignalRow>, SourceError> {
        self.run(hogql::signals(w), Rank::Background, decode::signals).await
    }

    async fn segments(&self, w: &Window) -> Result<Vec<SegmentRow>, SourceError> {
        self.run(hogql::segments(w), Rank::Background, decode::segments).await
    }
}

impl<T: Transport> PostHogSource<T> {
    /// The generations of `ids` (sorted) from `table`, one query per chunk
    /// of [`hogql::TRACES_PER_QUERY`] traces, in trace order.
    async fn generations_from(&self, w: &Window, ids: &[String], table: PayloadTable) -> Result<TraceRows, SourceError> {
        let chunks = hogql::generations(w, ids, table).into_iter().map(|q| self.run(q, Rank::Urgent, decode::generations));
        let mut rows = TraceRows::default();
        for part in futures::future::join_all(chunks).await {
            let part = part?;
            rows.generations.extend(part.generations);
            rows.spans.extend(part.spans);
        }
        Ok(rows)
    }
}

/// Whether `e` says the project has no `posthog.ai_events` table (older
/// self-hosted PostHog: "Unknown table `posthog.ai_events`."). Any other
/// refusal, such as `too_many_bytes`, is a real error.
fn no_ai_events(e: &SourceError) -> bool {
    matches!(e, SourceError::Query(detail) if detail.contains("Unknown table") && detail.contains("ai_events"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_an_unknown_ai_events_table_is_a_missing_table() {
        assert!(no_ai_events(&SourceError::Query("hogql_query_error: Unknown table `posthog.ai_events`.".into())));
        assert!(!no_ai_events(&SourceError::Query("too_many_bytes: Query exceeds the bytes limit".into())));
        assert!(!no_ai_events(&SourceError::Query("hogql_query_error: Unknown table `events2`.".into())));
        assert!(!no_ai_events(&SourceError::Timeout("Unknown table ai_events".into())));
    }
}
