//! The query plan: which questions are asked, in what order, and what is
//! kept when one fails. Stage 1 (overview) must succeed, and so must the
//! rollup; every other answer is optional and its failure becomes a warning,
//! so nothing already computed is thrown away. A cancelled run ends at once.
//!
//! Round 1 asks the aggregate questions together; round 2 reads the
//! generations of the traces the caller chooses from round 1's per-trace
//! rows and rollup (`pipeline::choose`), without waiting for its other
//! answers. The plan decides only the order of the queries, never what the
//! analysis makes of them. The per-trace
//! rows are read as disjoint ranges of trace buckets, concurrently, so a
//! large project costs more queries but no more rounds; past
//! [`FULL_READ_ROWS`] rows the traces are sampled by bucket, keeping the
//! most expensive ones exactly.

use super::{rollup_key, DataSource, RollupPage, SourceError, TraceOpsPage, TraceSample};
use crate::contract::{generations_per_trace, spans_per_trace, BUCKETS, ERROR_ROWS, PREFIX_ROWS, SIGNAL_ROWS};
use crate::analysis::dataset::{sort_trace_ops, Dataset, GenerationRow, Overview, RollupRow, Sampling, SpanRow, TraceOpRow, TraceRows, Window};
use std::collections::{BTreeSet, HashMap};

/// Rows per page of the per-trace and rollup queries: one below PostHog's
/// cap of 50,000 per answer, so that asking for one more row tells whether
/// more follow.
pub const PAGE_ROWS: u64 = 49_999;
/// Rows a bucket range is sized for; the margin to [`PAGE_ROWS`] absorbs the
/// spread of traces over buckets (a range that still overflows continues by keys).
pub const PAGE_TARGET: u64 = 45_000;
/// Per-trace rows read whole; larger projects are sampled.
pub const FULL_READ_ROWS: u64 = 4 * PAGE_TARGET;
/// Per-trace rows a sample aims at.
pub const SAMPLED_ROWS: u64 = 160_000;

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

/// What the plan fetched, with the caller's choice of the traces read in round 2.
#[derive(Clone, Debug, PartialEq)]
pub struct Fetched<C> {
    pub dataset: Dataset,
    /// The spans of the traces read closely: for their trees, not the analysis.
    pub spans: Vec<SpanRow>,
    pub selection: C,
    /// Optional answers that failed, as `(query, error)`.
    pub warnings: Vec<(&'static str, SourceError)>,
    /// Answers cut at a cap by design, each said in a sentence: groups past
    /// the most frequent ones, traces past their first generations (the
    /// rollup and the per-trace rows are never cut).
    pub cuts: Vec<String>,
    /// Rounds of dependent queries after the overview: 2, plus one for each
    /// page a bucket range (or the rollup) had to be continued by keys.
    pub rounds: u32,
}

/// Runs the plan against `src`. `choose` picks, from round 1's rollup and
/// per-trace rows, what round 2 reads: it returns its choice (kept in
/// [`Fetched::selection`]) and the trace ids whose generations to read.
/// `progress` hears each step as it starts.
pub async fn fetch<S, C>(src: &S, window: Window, choose: impl FnOnce(&[RollupRow], &[TraceOpRow]) -> (C, Vec<String>), progress: &mut dyn FnMut(Step)) -> Result<Fetched<C>, Failure>
where
    S: DataSource,
{
    let fail = |step| move |error| Failure { step, error };
    progress(Step::Connect);
    // Latency, errors and segments need nothing from the overview: they go out beside
    // it. The per-trace pages, prefixes and rollup follow it, the rollup
    // beside the longer pages. The generations of the selected traces need
    // only the pages and the rollup, so they do not wait for the prefixes,
    // latency or errors. A failed overview drops the others.
    // The quality signals (evaluations, feedback, embeddings) and the segments too.
    let aggregates = async { Ok(futures::join!(src.latency(&window), src.errors(&window), src.signals(&window), src.segments(&window))) };
    let per_trace = async {
        let overview = src.overview(&window).await.map_err(fail(Step::Connect))?;
        if overview.generations == 0 {
            return Err(Failure { step: Step::Connect, error: SourceError::NotFound("no $ai_generation events in this window".into()) });
        }
        progress(Step::Aggregates);
        let pages = trace_ops_pages(&overview);
        let read_closely = async {
            let (trace_ops, rollup) = futures::join!(all_trace_ops(src, &window, &pages), all_rollup(src, &window));
            let (rollup, rollup_pages) = rollup.map_err(fail(Step::Aggregates))?;
            if matches!(trace_ops, Err(SourceError::Cancelled)) {
                return Err(Failure { step: Step::Aggregates, error: SourceError::Cancelled });
            }
            let rows = trace_ops.as_ref().map_or(&[][..], |(rows, _)| rows.as_slice());
            let (selection, ids) = choose(&rollup, rows);
            progress(Step::Details);
            let mut generations = if ids.is_empty() { Ok(TraceRows::default()) } else { src.generations(&window, &ids).await };
            if matches!(generations, Err(SourceError::Cancelled)) {
                return Err(Failure { step: Step::Details, error: SourceError::Cancelled });
            }
            let cut = generations.as_ref().map_or(0, |g| cut_traces(rows, &ids, &g.generations));
            let per_trace = spans_per_trace(ids.iter().collect::<BTreeSet<_>>().len());
            let cut_spans = generations.as_mut().map_or(0, |g| cut_spans(&mut g.spans, per_trace));
            Ok((rollup, rollup_pages, trace_ops, selection, generations, (cut, cut_spans)))
        };
        let (read, prefixes) = futures::join!(read_closely, src.prefixes(&window));
        Ok((overview, pages, read?, prefixes))
    };
    let ((overview, pages, (rollup, rollup_pages, trace_ops, selection, generations, (cut_traces, cut_spans)), prefixes), (latency, errors, signals, segments)) = futures::try_join!(per_trace, aggregates)?;
    let mut warnings = Vec::new();
    let latency = optional(&mut warnings, "latency", latency);
    let (trace_ops, pages_in_sequence) = optional(&mut warnings, "trace_ops", trace_ops);
    let prefixes = optional(&mut warnings, "prefixes", prefixes);
    let errors = optional(&mut warnings, "errors", errors);
    let TraceRows { generations, spans } = optional(&mut warnings, "generations", generations);
    let signals = optional(&mut warnings, "signals", signals);
    let segments = optional(&mut warnings, "segments", segments);
    if warnings.iter().any(|(_, e)| *e == SourceError::Cancelled) {
        return Err(Failure { step: Step::Details, error: SourceError::Cancelled });
    }
    let sampling = pages[0].sample.map(|s| sampling(s, &trace_ops));
    let mut cuts = Vec::new();
    if prefixes.len() >= PREFIX_ROWS {
        cuts.push(format!("prefixes: the {PREFIX_ROWS} most repeated prompt prefixes only"));
    }
    if errors.len() >= ERROR_ROWS {
        cuts.push(format!("errors: the {ERROR_ROWS} most frequent error groups only"));
    }
    if signals.len() >= SIGNAL_ROWS {
        cuts.push(format!("signals: the first {SIGNAL_ROWS} groups of evaluations, feedback, metrics and embeddings only"));
    }
    if cut_traces > 0 {
        cuts.push(format!("generations: {cut_traces} traces read closely were cut to their first generations"));
    }
    if cut_spans > 0 {
        cuts.push(format!("spans: {cut_spans} traces read closely were cut to their first spans"));
    }
    progress(Step::Done);
    let dataset = Dataset { window, overview, rollup, latency, trace_ops, prefixes, errors, generations, sampling, signals, segments };
    Ok(Fetched { dataset, spans, selection, warnings, cuts, rounds: 1 + pages_in_sequence.max(rollup_pages).max(1) })
}

/// The queries the plan sends for this overview when nothing fails (and
/// the rollup fits one page of [`PAGE_ROWS`] cells; each further page is one
/// more, and so is each further chunk of the traces read closely, past
/// `posthog::hogql::TRACES_PER_QUERY` of them).
pub fn planned_queries(overview: &Overview) -> u32 {
    // Overview, rollup, latency, prefixes, errors, signals, segments, the pages, generations.
    7 + trace_ops_pages(overview).len() as u32 + 1
}

/// The bucket ranges the per-trace rows are read in, sampled past
/// [`FULL_READ_ROWS`] rows. Ranges are disjoint and cover every bucket.
pub fn trace_ops_pages(overview: &Overview) -> Vec<TraceOpsPage> {
    let rows = overview.trace_operations;
    let (sample, kept_buckets, expected) = if rows <= FULL_READ_ROWS {
        (None, BUCKETS, rows)
    } else {
        let keep = ((u64::from(BUCKETS) * SAMPLED_ROWS / rows) as u16).max(1);
        // The top 1% of traces, so the cost concentration at the top is exact.
        let top_traces = overview.traces.div_ceil(100).clamp(100, 2_000);
        let rows_per_trace = rows as f64 / overview.traces.max(1) as f64;
        let outside = top_traces as f64 * f64::from(BUCKETS - keep) / f64::from(BUCKETS) * rows_per_trace;
        // Saturating: the counts come from the server.
        let expected = (rows.saturating_mul(u64::from(keep)) / u64::from(BUCKETS)).saturating_add(outside.ceil() as u64);
        (Some(TraceSample { keep_per_mille: keep, top_traces }), keep, expected)
    };
    let n = expected.div_ceil(PAGE_TARGET).clamp(1, u64::from(kept_buckets)) as u16;
    (0..n)
        .map(|i| {
            let from = kept_buckets * i / n;
            // The last range also holds the top traces beyond the kept buckets.
            let to = if i + 1 == n { BUCKETS } else { kept_buckets * (i + 1) / n };
            TraceOpsPage { after: None, limit: PAGE_ROWS, buckets: (from, to), sample }
        })
        .collect()
}

/// How many of the traces `ids` the generations query cut at
/// [`generations_per_trace`]: their per-trace rows count more generations
/// than were read.
fn cut_traces(rows: &[TraceOpRow], ids: &[String], generations: &[GenerationRow]) -> usize {
    let wanted: BTreeSet<&str> = crate::order::set_of(ids.iter().map(String::as_str));
    let cap = generations_per_trace(wanted.len());
    let mut read: HashMap<&str, u64> = HashMap::new();
    for g in generations {
        *read.entry(g.trace_id.as_str()).or_default() += 1;
    }
    let mut total: HashMap<&str, u64> = HashMap::new();
    for r in rows.iter().filter(|r| wanted.contains(r.trace_id.as_str())) {
        *total.entry(r.trace_id.as_str()).or_default() += r.generations;
    }
    total.into_iter().filter(|(t, n)| *n > cap && read.get(t).is_some_and(|r| r < n)).count()
}

/// Keeps the first `per_trace` of each trace's spans (sorted by trace; the
/// query reads one more, which tells a trace had more), and counts the
/// traces cut.
fn cut_spans(spans: &mut Vec<SpanRow>, per_trace: u64) -> usize {
    let mut seen: HashMap<String, u64> = HashMap::new();
    let mut cut = 0;
    spans.retain(|s| {
        let n = seen.entry(s.trace_id.clone()).or_default();
        *n += 1;
        cut += usize::from(*n == per_trace + 1);
        *n <= per_trace
    });
    cut
}

/// What a sample kept: its rate and the top traces read beyond it.
fn sampling(sample: TraceSample, rows: &[TraceOpRow]) -> Sampling {
    let beyond: BTreeSet<&str> =
        crate::order::set_of(rows.iter().filter(|r| super::memory::sample_bucket(&r.trace_id) >= sample.keep_per_mille).map(|r| r.trace_id.as_str()));
    Sampling { rate: f64::from(sample.keep_per_mille) / f64::from(BUCKETS), top_traces_kept: beyond.len() as u64 }
}

/// The answer, or its default with the error kept as a warning.
fn optional<T: Default>(warnings: &mut Vec<(&'static str, SourceError)>, query: &'static str, r: Result<T, SourceError>) -> T {
    r.unwrap_or_else(|e| {
        warnings.push((query, e));
        T::default()
    })
}

/// Every per-trace row of the given ranges, read concurrently (each range
/// page by page, keyset on trace id and operation), sorted by trace id and
/// operation; with the longest run of pages one range needed.
async fn all_trace_ops<S: DataSource>(src: &S, window: &Window, pages: &[TraceOpsPage]) -> Result<(Vec<TraceOpRow>, u32), SourceError> {
    let ranges = futures::future::join_all(pages.iter().map(|p| range_trace_ops(src, window, p.clone()))).await;
    let mut rows = Vec::new();
    let mut longest = 0;
    for r in ranges {
        let (part, pages) = r?;
        rows.extend(part);
        longest = longest.max(pages);
    }
    sort_trace_ops(&mut rows);
    Ok((rows, longest))
}

/// Every rollup cell, page by page (keyset on its order key), and how many
/// pages that took: the rollup is required whole, so none is cut at the cap.
async fn all_rollup<S: DataSource>(src: &S, window: &Window) -> Result<(Vec<RollupRow>, u32), SourceError> {
    let mut page = RollupPage { after: None, limit: PAGE_ROWS };
    let (mut rows, mut pages) = (Vec::new(), 0);
    loop {
        pages += 1;
        let p = src.rollup(window, &page).await?;
        rows.extend(p.rows);
        match (p.has_more, rows.last()) {
            (true, Some(last)) => page.after = Some(rollup_key(last)),
            _ => return Ok((rows, pages)),
        }
    }
}

/// The rows of one range, and how many pages that took.
async fn range_trace_ops<S: DataSource>(src: &S, window: &Window, mut page: TraceOpsPage) -> Result<(Vec<TraceOpRow>, u32), SourceError> {
    let (mut rows, mut pages) = (Vec::new(), 0);
    loop {
        pages += 1;
        let p = src.trace_ops(window, &page).await?;
        let last = p.rows.last().map(|r| (r.trace_id.clone(), r.operation.clone()));
        rows.extend(p.rows);
        match (p.has_more, last) {
            (true, Some(last)) => page.after = Some(last),
            _ => return Ok((rows, pages)),
        }
    }
}

#[cfg(test)]
mod tests;
