//! The query plan: which questions are asked, in what order, and what is
//! kept when one fails. Stage 1 (overview) must succeed, and so must the
//! rollup; every other answer is optional and its failure becomes a warning,
//! so nothing already computed is thrown away.
//!
//! Round 1 asks the aggregate questions together; round 2 reads the
//! generations of the traces chosen from round 1's answers.

use super::{DataSource, SourceError, TraceOpsPage};
use crate::analysis::dataset::{Dataset, TraceOpRow, Window};
use crate::analysis::select::{select, Selection};
use crate::analysis::Settings;

/// Rows per page of the per-trace query (PostHog's cap per answer).
pub const PAGE_ROWS: u64 = 50_000;

/// Steps of the plan, reported as they start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Step {
    Connect,
    Aggregates,
    Details,
    Done,
}

/// A failure that ends the plan without a report.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub step: Step,
    pub error: SourceError,
}

/// What the plan fetched.
#[derive(Clone, Debug, PartialEq)]
pub struct Fetched {
    pub dataset: Dataset,
    pub selection: Selection,
    /// Optional answers that failed, as `(query, error)`.
    pub warnings: Vec<(&'static str, SourceError)>,
}

/// Runs the plan against `src`. `progress` hears each step as it starts.
pub async fn fetch<S: DataSource>(src: &S, window: Window, settings: &Settings, progress: &mut dyn FnMut(Step)) -> Result<Fetched, Failure> {
    let fail = |step| move |error| Failure { step, error };
    progress(Step::Connect);
    let overview = src.overview(&window).await.map_err(fail(Step::Connect))?;
    if overview.generations == 0 {
        return Err(Failure { step: Step::Connect, error: SourceError::NotFound("no $ai_generation events in this window".into()) });
    }
    progress(Step::Aggregates);
    let (rollup, latency, trace_ops, prefixes, errors) =
        futures::join!(src.rollup(&window), src.latency(&window), all_trace_ops(src, &window), src.prefixes(&window), src.errors(&window));
    let rollup = rollup.map_err(fail(Step::Aggregates))?;
    let mut warnings = Vec::new();
    let latency = optional(&mut warnings, "latency", latency);
    let trace_ops = optional(&mut warnings, "trace_ops", trace_ops);
    let prefixes = optional(&mut warnings, "prefixes", prefixes);
    let errors = optional(&mut warnings, "errors", errors);
    let selection = select(&rollup, &trace_ops, settings);
    progress(Step::Details);
    let ids = selection.trace_ids();
    let generations = if ids.is_empty() { Ok(Vec::new()) } else { src.generations(&window, &ids).await };
    let generations = optional(&mut warnings, "generations", generations);
    progress(Step::Done);
    Ok(Fetched { dataset: Dataset { window, overview, rollup, latency, trace_ops, prefixes, errors, generations, sampling: None }, selection, warnings })
}

/// The answer, or its default with the error kept as a warning.
fn optional<T: Default>(warnings: &mut Vec<(&'static str, SourceError)>, query: &'static str, r: Result<T, SourceError>) -> T {
    r.unwrap_or_else(|e| {
        warnings.push((query, e));
        T::default()
    })
}

/// Every per-trace row, page by page (keyset on trace id, operation).
async fn all_trace_ops<S: DataSource>(src: &S, window: &Window) -> Result<Vec<TraceOpRow>, SourceError> {
    let mut page = TraceOpsPage { limit: PAGE_ROWS, ..TraceOpsPage::default() };
    let mut rows = Vec::new();
    loop {
        let p = src.trace_ops(window, &page).await?;
        let last = p.rows.last().map(|r| (r.trace_id.clone(), r.operation.clone()));
        rows.extend(p.rows);
        match (p.has_more, last) {
            (true, Some(last)) => page.after = Some(last),
            _ => return Ok(rows),
        }
    }
}
