//! The one path from a data source to the report: **fetch** (the query
//! plan), **select** (the traces round 2 reads), **analyse** (every stage),
//! **write** (the bundle's files). The page, the command line, the golden
//! test, the benchmarks and the test fixtures all run it; the shells around
//! it only choose the source, where prices come from, what "now" is and how
//! progress is shown.

use crate::analysis::by_operation::ByOperation;
use crate::analysis::dataset::{Dataset, GenerationRow, RollupRow, SpanRow, TraceOpRow, Window};
use crate::analysis::history::FollowUp;
use crate::analysis::pricing::{Costing, PriceTable};
use crate::analysis::select::{select, Selection};
use crate::analysis::{analyze_following, Analysis, Origin, Settings};
use crate::report::{self, ReportFile};
use crate::source::plan::{self, Failure, Step};
use crate::source::posthog::{key_scopes, Client, PostHogSource, Transport};
use crate::source::{DataSource, SourceError};
use std::borrow::Cow;
use std::future::Future;

pub mod kept;

/// What was fetched: the dataset, the traces chosen for round 2, the
/// optional answers that failed, and the rounds of dependent queries.
pub type Fetched = plan::Fetched<Selection>;

/// The price table a run priced with, and why it is not the one asked for
/// (live prices unreachable, say), if so.
#[derive(Clone, Debug)]
pub struct Prices {
    pub table: Cow<'static, PriceTable>,
    pub note: Option<String>,
}

impl Prices {
    /// The LiteLLM snapshot compiled into native builds (the page fetches
    /// its copy: `ui::live_prices::snapshot`).
    #[cfg(any(test, not(target_arch = "wasm32")))]
    pub fn bundled() -> Self {
        PriceTable::bundled().into()
    }
}

impl From<&'static PriceTable> for Prices {
    /// Prices from `table`, as asked (no note).
    fn from(table: &'static PriceTable) -> Self {
        Prices { table: Cow::Borrowed(table), note: None }
    }
}

/// What a run is asked for.
#[derive(Clone, Debug)]
pub struct Request<'a> {
    pub window: Window,
    pub settings: Settings,
    pub origin: Origin,
    /// The `analysis.json` of an earlier run, to follow up on.
    pub prior: Option<&'a FollowUp>,
}

/// Everything a run produced. The table it priced with is kept, so that
/// whatever is derived later (a what-if, a retagged report) prices alike.
#[derive(Clone, Debug)]
pub struct Run {
    pub analysis: Analysis,
    /// The traces read closely (outliers of the top operations and the
    /// sample), and their generations.
    pub selection: Selection,
    pub generations: Vec<GenerationRow>,
    /// Their spans, for the traces' trees.
    pub spans: Vec<SpanRow>,
    /// Optional queries that failed without stopping the run, as `query: error`,
    /// then the answers cut at a cap by design.
    pub warnings: Vec<String>,
    pub prices: Cow<'static, PriceTable>,
    pub timing: Timing,
}

/// Where a run's time went (milliseconds on the shell's clock): asking the
/// source, then analysing; and the rounds of queries that waited on an
/// earlier answer.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Timing {
    pub fetch_ms: f64,
    pub compute_ms: f64,
    pub rounds: u32,
}

/// What a shell lends a run: a clock, a place to show progress, and a way
/// to stop it. Every method has a do-nothing default, for tests and the
/// command line.
#[allow(async_fn_in_trait)] // single-threaded in the browser; no Send bound wanted
pub trait Shell {
    /// Hears each step of the plan as it starts.
    fn progress(&mut self, _step: Step) {}
    /// Milliseconds on the shell's clock.
    fn now_ms(&self) -> f64 {
        0.0
    }
    /// Lets the shell breathe (the page paints) before the analysis runs.
    async fn pause(&self) {}
    /// Whether the user stopped the run.
    fn cancelled(&self) -> bool {
        false
    }
}

/// A shell that shows nothing and never stops.
pub struct Quiet;

impl Shell for Quiet {}

/// The traces round 2 reads, chosen from round 1's rollup and per-trace
/// rows. Selection judges by PostHog's cost, so the rows need no prices.
pub fn choose(rollup: &[RollupRow], rows: &[TraceOpRow], settings: &Settings) -> (Selection, Vec<String>) {
    let selection = select(rollup, &ByOperation::new(rows, &Costing::default()), rows, settings);
    let ids = selection.trace_ids();
    (selection, ids)
}

/// Fetches: the query plan against `src`, with [`choose`] for round 2.
pub async fn fetch<S: DataSource>(src: &S, window: Window, settings: &Settings, progress: &mut dyn FnMut(Step)) -> Result<Fetched, Failure> {
    plan::fetch(src, window, |rollup, rows| choose(rollup, rows, settings), progress).await
}

/// Analyses a fetched dataset with `prices`.
pub fn analyse(dataset: &Dataset, request: &Request, prices: &Prices) -> Analysis {
    let mut a = analyze_following(dataset, &request.settings, &request.origin, &prices.table, request.prior);
    a.pricing.notes.extend(prices.note.clone());
    a
}

/// Writes the results bundle's files (every one but the chart images).
pub fn write(a: &Analysis) -> Vec<ReportFile> {
    report::files(a)
}

/// Fetches from `src` while `prices` loads, then analyses. A cancelled run
/// ends with [`SourceError::Cancelled`].
pub async fn run<S: DataSource>(src: &S, request: &Request<'_>, prices: impl Future<Output = Prices>, shell: &mut impl Shell) -> Result<Run, Failure> {
    run_keeping(src, request, prices, shell, false).await.map(|(run, _)| run)
}

/// As [`run`], and what it fetched packed to be kept and reopened later
/// ([`kept::pack`]), or why it cannot be kept.
pub async fn run_and_keep<S: DataSource>(src: &S, request: &Request<'_>, prices: impl Future<Output = Prices>, shell: &mut impl Shell) -> Result<(Run, Result<Vec<u8>, String>), Failure> {
    let (run, kept) = run_keeping(src, request, prices, shell, true).await?;
    Ok((run, kept.unwrap_or_else(|| Err("not packed".into()))))
}

async fn run_keeping<S: DataSource>(src: &S, request: &Request<'_>, prices: impl Future<Output = Prices>, shell: &mut impl Shell, keep: bool) -> Result<(Run, Option<Result<Vec<u8>, String>>), Failure> {
    let started = shell.now_ms();
    let (fetched, prices) = {
        let mut progress = |step| shell.progress(step);
        futures::join!(fetch(src, request.window, &request.settings, &mut progress), prices)
    };
    let fetched = fetched?;
    shell.pause().await;
    if shell.cancelled() {
        return Err(Failure { step: Step::Done, error: SourceError::Cancelled });
    }
    let fetched_at = shell.now_ms();
    let analysis = analyse(&fetched.dataset, request, &prices);
    let timing = Timing { fetch_ms: fetched_at - started, compute_ms: shell.now_ms() - fetched_at, rounds: fetched.rounds };
    let warnings: Vec<String> = fetched.warnings.iter().map(|(q, e)| format!("{q}: {e}")).chain(fetched.cuts.iter().cloned()).collect();
    let kept = keep.then(|| kept::pack(&fetched.dataset, &fetched.spans, request, &warnings, &timing));
    Ok((Run { analysis, generations: fetched.dataset.generations, spans: fetched.spans, selection: fetched.selection, warnings, prices: prices.table, timing }, kept))
}

/// A PostHog project as a source, once the key is known to be allowed to
/// query it (stage 1: one REST request, no HogQL). A key without
/// `query:read`, or one PostHog refuses, ends here with a clear message;
/// anything else (an unreadable answer, a passing outage) is left to the
/// plan's first query, which retries and reports it.
pub async fn posthog_source<T: Transport>(client: Client<T>, project: &str) -> Result<PostHogSource<T>, Failure> {
    let fail = |error| Failure { step: Step::Connect, error };
    match key_scopes(&client).await {
        Ok(k) if !k.can_query() => {
            return Err(fail(SourceError::Forbidden(format!(
                "it lacks the query:read scope (it has: {}). Create a personal API key with query:read in PostHog's settings.",
                k.scopes.join(", ")
            ))))
        }
        Err(e @ (SourceError::Cancelled | SourceError::Unauthorized(_) | SourceError::Forbidden(_) | SourceError::NotFound(_))) => return Err(fail(e)),
        Ok(_) | Err(_) => {}
    }
    PostHogSource::new(client, project).map_err(fail)
}

#[cfg(test)]
mod tests;
