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
        // No payload in `events`: newer ingestion keeps them in `posthog.ai_events`.
        let table = if o.generations > 0 && o.with_payloads == 0 { PayloadTable::AiEvents } else { PayloadTable::Events };
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
        match self.payloads.get() {
            PayloadTable::Events => self.run(hogql::prefixes(w, PayloadTable::Events), Rank::Background, decode::prefixes).await,
            // Without `posthog.ai_events` (older self-hosted), there are no payloads to read.
            PayloadTable::AiEvents => match self.run(hogql::prefixes(w, PayloadTable::AiEvents), Rank::Background, decode::prefixes).await {
                Err(SourceError::Query(_)) => Ok(Vec::new()),
                other => other,
            },
        }
    }

    async fn errors(&self, w: &Window) -> Result<Vec<ErrorRow>, SourceError> {
        self.run(hogql::errors(w), Rank::Background, decode::errors).await
    }

    async fn generations(&self, w: &Window, trace_ids: &[String]) -> Result<Vec<GenerationRow>, SourceError> {
        let ids: Vec<String> = trace_ids.iter().cloned().collect::<BTreeSet<_>>().into_iter().collect();
        if self.payloads.get() == PayloadTable::AiEvents {
            match self.run(hogql::generations(w, &ids, PayloadTable::AiEvents), Rank::Urgent, decode::generations).await {
                Err(SourceError::Query(_)) => {} // no such table: read `events`, without payloads
                other => return other,
            }
        }
        let rows = self.run(hogql::generations(w, &ids, PayloadTable::Events), Rank::Urgent, decode::generations).await?;
        // Some projects strip payloads only from newer events: these traces have none.
        let no_payloads = !rows.is_empty() && rows.iter().all(|r| r.input_chars == 0 && r.output_chars == 0);
        if no_payloads && self.payloads.get() == PayloadTable::Events {
            if let Ok(from_ai) = self.run(hogql::generations(w, &ids, PayloadTable::AiEvents), Rank::Urgent, decode::generations).await {
                if from_ai.len() == rows.len() {
                    return Ok(from_ai);
                }
            }
        }
        Ok(rows)
    }
}
