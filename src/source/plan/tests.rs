use super::*;
use crate::analysis::dataset::*;
use crate::source::demo::{DemoConfig, DemoGenerator};
use crate::source::memory::{sample_bucket, MemorySource};
use crate::source::Page;
use futures::executor::block_on;
use std::cell::Cell;

/// The plan with a stand-in for the pipeline's choice: round 2 reads the
/// traces of the first ten per-trace rows.
async fn fetch_some<S: DataSource>(src: &S, w: Window, progress: &mut dyn FnMut(Step)) -> Result<Fetched<Vec<String>>, Failure> {
    let pick = |_: &[RollupRow], rows: &[TraceOpRow]| {
        let ids: Vec<String> = rows.iter().take(10).map(|r| r.trace_id.clone()).collect::<std::collections::BTreeSet<_>>().into_iter().collect();
        (ids.clone(), ids)
    };
    fetch(src, w, pick, progress).await
}

fn overview(traces: u64, trace_operations: u64) -> Overview {
    Overview { generations: trace_operations * 2, traces, trace_operations, ..Overview::default() }
}

/// The ranges cover every bucket once, in order.
fn assert_partition(pages: &[TraceOpsPage]) {
    assert_eq!(pages[0].buckets.0, 0);
    assert_eq!(pages.last().unwrap().buckets.1, BUCKETS);
    for w in pages.windows(2) {
        assert_eq!(w[0].buckets.1, w[1].buckets.0);
    }
    assert!(pages.iter().all(|p| p.buckets.0 < p.buckets.1 && p.limit == PAGE_ROWS && p.after.is_none()));
}

#[test]
fn small_projects_read_every_trace_in_one_page() {
    let pages = trace_ops_pages(&overview(600, 3_000));
    assert_eq!(pages.len(), 1);
    assert_partition(&pages);
    assert_eq!(pages[0].sample, None);
}

#[test]
fn query_budget_holds_at_100k_and_1m_generations() {
    // The demo project at 100k generations: 13,140 traces, 80,671 (trace, operation) rows.
    let at_100k = overview(13_140, 80_671);
    let pages = trace_ops_pages(&at_100k);
    assert_partition(&pages);
    assert_eq!((pages.len(), pages[0].sample), (2, None));
    // Eight aggregate and detail queries (the quality signals and the segments among them) and the two pages.
    assert!(planned_queries(&at_100k) <= 10);
    // At 1M: about 131k traces and 807k rows, sampled.
    let at_1m = overview(131_400, 806_700);
    let pages = trace_ops_pages(&at_1m);
    assert_partition(&pages);
    let sample = pages[0].sample.expect("sampled");
    assert_eq!(sample.top_traces, 1_314, "the top 1% of traces");
    let kept_rows = 806_700 * u64::from(sample.keep_per_mille) / 1000;
    assert!((SAMPLED_ROWS - 5_000..=SAMPLED_ROWS).contains(&kept_rows), "{kept_rows}");
    assert!(planned_queries(&at_1m) <= 12, "{}", planned_queries(&at_1m));
    // Every range is sized well under the page cap.
    for p in &pages {
        let (from, to) = (p.buckets.0.min(sample.keep_per_mille), p.buckets.1.min(sample.keep_per_mille));
        assert!(806_700 * u64::from(to - from) / 1000 < PAGE_TARGET);
    }
}

#[test]
fn a_huge_project_still_keeps_a_bucket() {
    let pages = trace_ops_pages(&overview(50_000_000, 900_000_000));
    assert_eq!(pages[0].sample.unwrap().keep_per_mille, 1);
    assert_eq!((pages[0].sample.unwrap().top_traces, pages.len()), (2_000, 1));
}

#[test]
fn counts_a_server_made_up_still_give_ranges_over_every_bucket() {
    let huge = u64::MAX / 2;
    for (traces, rows) in [(huge, huge), (1, huge), (huge, FULL_READ_ROWS + 1)] {
        let pages = trace_ops_pages(&overview(traces, rows));
        assert_eq!((pages[0].buckets.0, pages[pages.len() - 1].buckets.1), (0, crate::contract::BUCKETS), "{traces} traces, {rows} rows");
        assert!(pages.windows(2).all(|w| w[0].buckets.1 == w[1].buckets.0));
    }
}

fn demo() -> (MemorySource, Window) {
    let cfg = DemoConfig { generations: 1_500, ..DemoConfig::default() };
    let window = Window::ending_at(cfg.end, cfg.days);
    (MemorySource::from_generations(DemoGenerator::new(cfg).filter_map(|r| r.generation()).collect()), window)
}

/// A source that answers like `inner` but with small pages, fails some
/// queries, holds some back until the generations are asked for, and
/// counts calls.
struct Scripted<'a> {
    inner: &'a MemorySource,
    page_rows: u64,
    fail: &'static [&'static str],
    hold: &'static [&'static str],
    generations_asked: Cell<bool>,
    calls: Cell<u32>,
}

/// Pending once, waking itself at once.
struct YieldOnce(bool);

impl std::future::Future for YieldOnce {
    type Output = ();
    fn poll(mut self: std::pin::Pin<&mut Self>, cx: &mut std::task::Context) -> std::task::Poll<()> {
        if self.0 {
            return std::task::Poll::Ready(());
        }
        self.0 = true;
        cx.waker().wake_by_ref();
        std::task::Poll::Pending
    }
}

impl Scripted<'_> {
    async fn check(&self, query: &str) -> Result<(), SourceError> {
        if self.hold.contains(&query) {
            // A bounded wait, so that a plan that waits for this answer
            // first fails the test instead of hanging it.
            for _ in 0..10_000 {
                if self.generations_asked.get() {
                    break;
                }
                YieldOnce(false).await;
            }
            if !self.generations_asked.get() {
                return Err(SourceError::Server { status: 504, detail: format!("{query} was held and timed out") });
            }
        }
        self.calls.set(self.calls.get() + 1);
        match self.fail.iter().find(|f| f.starts_with(query)) {
            Some(f) if f.ends_with(":cancel") => Err(SourceError::Cancelled),
            Some(_) => Err(SourceError::Server { status: 500, detail: format!("{query} failed") }),
            None => Ok(()),
        }
    }
}

impl DataSource for Scripted<'_> {
    async fn overview(&self, w: &Window) -> Result<Overview, SourceError> {
        self.check("overview").await?;
        self.inner.overview(w).await
    }
    async fn rollup(&self, w: &Window, page: &RollupPage) -> Result<Page<RollupRow>, SourceError> {
        self.check("rollup").await?;
        let page = RollupPage { limit: self.page_rows, ..page.clone() };
        self.inner.rollup(w, &page).await
    }
    async fn latency(&self, w: &Window) -> Result<Vec<LatencyRow>, SourceError> {
        self.check("latency").await?;
        self.inner.latency(w).await
    }
    async fn trace_ops(&self, w: &Window, page: &TraceOpsPage) -> Result<Page<TraceOpRow>, SourceError> {
        self.check("trace_ops").await?;
        let page = TraceOpsPage { limit: self.page_rows, ..page.clone() };
        self.inner.trace_ops(w, &page).await
    }
    async fn prefixes(&self, w: &Window) -> Result<Vec<PrefixRow>, SourceError> {
        self.check("prefixes").await?;
        self.inner.prefixes(w).await
    }
    async fn errors(&self, w: &Window) -> Result<Vec<ErrorRow>, SourceError> {
        self.check("errors").await?;
        self.inner.errors(w).await
    }
    async fn generations(&self, w: &Window, ids: &[String]) -> Result<TraceRows, SourceError> {
        self.generations_asked.set(true);
        self.check("generations").await?;
        self.inner.generations(w, ids).await
    }
    async fn signals(&self, w: &Window) -> Result<Vec<SignalRow>, SourceError> {
        self.check("signals").await?;
        self.inner.signals(w).await
    }
    async fn segments(&self, w: &Window) -> Result<Vec<SegmentRow>, SourceError> {
        self.check("segments").await?;
        self.inner.segments(w).await
    }
}

fn scripted<'a>(inner: &'a MemorySource, page_rows: u64, fail: &'static [&'static str]) -> Scripted<'a> {
    Scripted { inner, page_rows, fail, hold: &[], generations_asked: Cell::new(false), calls: Cell::new(0) }
}

#[test]
fn the_generations_wait_for_the_pages_and_rollup_only() {
    let (mem, w) = demo();
    let src = Scripted { hold: &["latency", "prefixes", "errors", "segments"], ..scripted(&mem, PAGE_ROWS, &[]) };
    let f = block_on(fetch_some(&src, w, &mut |_| {})).unwrap();
    assert_eq!(f.warnings, [], "the held queries answered after the generations were asked for");
    assert!(!f.dataset.generations.is_empty() && !f.dataset.prefixes.is_empty() && !f.dataset.errors.is_empty());
    let src = Scripted { hold: &["rollup"], ..scripted(&mem, PAGE_ROWS, &[]) };
    let err = block_on(fetch_some(&src, w, &mut |_| {})).unwrap_err();
    assert_eq!(err.step, Step::Aggregates, "the selection needs the rollup");
}

#[test]
fn pages_continued_by_keys_give_the_same_rows_in_more_rounds() {
    let (mem, w) = demo();
    let whole = block_on(fetch_some(&mem, w, &mut |_| {})).unwrap();
    assert_eq!((whole.rounds, whole.warnings.len()), (2, 0));
    let src = scripted(&mem, 97, &[]);
    let paged = block_on(fetch_some(&src, w, &mut |_| {})).unwrap();
    assert_eq!(paged.dataset, whole.dataset);
    let rows = whole.dataset.trace_ops.len() as u32;
    let cells = whole.dataset.rollup.len() as u32;
    assert_eq!(paged.rounds, 1 + rows.div_ceil(97).max(cells.div_ceil(97)));
    assert!(src.calls.get() > 7);
}

#[test]
fn the_rollup_is_read_whole_past_a_page() {
    let (mem, w) = demo();
    let whole = block_on(mem.rollup(&w, &RollupPage { after: None, limit: u64::MAX - 1 })).unwrap();
    assert!(!whole.has_more && whole.rows.len() > 5 * 37, "{} cells", whole.rows.len());
    // Pages of 37 cells, continued by keys, give every cell once, in order.
    let src = scripted(&mem, 37, &[]);
    let (paged, pages) = block_on(all_rollup(&src, &w)).unwrap();
    assert_eq!(paged, whole.rows);
    assert_eq!((pages, src.calls.get()), (whole.rows.len().div_ceil(37) as u32, pages));
    // A page boundary on a cell whose keys differ only in the error status.
    let split = whole.rows.windows(2).position(|p| rollup_key(&p[0]).0 == rollup_key(&p[1]).0 && p[0].operation == p[1].operation && p[0].model == p[1].model && p[0].provider == p[1].provider);
    let at = split.expect("a cell with both error states") + 1;
    let rest = block_on(mem.rollup(&w, &RollupPage { after: Some(rollup_key(&whole.rows[at - 1])), limit: 1 })).unwrap();
    assert_eq!((rest.rows[0].clone(), rest.has_more), (whole.rows[at].clone(), at + 1 < whole.rows.len()));
}

#[test]
fn concurrent_bucket_ranges_merge_into_sorted_rows() {
    let (mem, w) = demo();
    let whole = block_on(fetch_some(&mem, w, &mut |_| {})).unwrap();
    let rows = &whole.dataset.trace_ops;
    // Three ranges read together give the rows of one read, in order.
    let pages: Vec<TraceOpsPage> = [(0, 300), (300, 700), (700, 1000)]
        .into_iter()
        .map(|buckets| TraceOpsPage { limit: PAGE_ROWS, buckets, ..TraceOpsPage::default() })
        .collect();
    let (merged, longest) = block_on(all_trace_ops(&mem, &w, &pages)).unwrap();
    assert_eq!((&merged, longest), (rows, 1));
    assert!(rows.iter().any(|r| sample_bucket(&r.trace_id) >= 700) && rows.iter().any(|r| sample_bucket(&r.trace_id) < 300));
}

#[test]
fn a_sample_keeps_its_buckets_and_the_top_traces() {
    let (mem, w) = demo();
    let sample = TraceSample { keep_per_mille: 200, top_traces: 10 };
    let pages = [TraceOpsPage { limit: PAGE_ROWS, sample: Some(sample), ..TraceOpsPage::default() }];
    let (rows, _) = block_on(all_trace_ops(&mem, &w, &pages)).unwrap();
    let s = sampling(sample, &rows);
    assert_eq!(s.rate, 0.2);
    assert!(s.top_traces_kept > 0 && s.top_traces_kept <= 10, "{s:?}");
    let (all, _) = block_on(all_trace_ops(&mem, &w, &[TraceOpsPage { limit: PAGE_ROWS, ..TraceOpsPage::default() }])).unwrap();
    let share = rows.len() as f64 / all.len() as f64;
    assert!((0.1..0.35).contains(&share), "{share}");
}

#[test]
fn optional_failures_become_warnings_and_keep_the_rest() {
    let (mem, w) = demo();
    let src = scripted(&mem, PAGE_ROWS, &["latency", "generations"]);
    let f = block_on(fetch_some(&src, w, &mut |_| {})).unwrap();
    assert_eq!(f.warnings.iter().map(|(q, _)| *q).collect::<Vec<_>>(), ["latency", "generations"]);
    assert!(f.dataset.latency.is_empty() && f.dataset.generations.is_empty());
    assert!(!f.dataset.rollup.is_empty() && !f.dataset.trace_ops.is_empty() && !f.selection.is_empty());
}

#[test]
fn a_failed_rollup_or_a_cancel_ends_the_plan() {
    let (mem, w) = demo();
    let err = block_on(fetch_some(&scripted(&mem, PAGE_ROWS, &["rollup"]), w, &mut |_| {})).unwrap_err();
    assert_eq!(err.step, Step::Aggregates);
    let mut steps = Vec::new();
    let err = block_on(fetch_some(&scripted(&mem, PAGE_ROWS, &["trace_ops:cancel"]), w, &mut |s| steps.push(s))).unwrap_err();
    assert_eq!((err.step, err.error), (Step::Aggregates, SourceError::Cancelled));
    assert_eq!(steps, [Step::Connect, Step::Aggregates], "round 2 never starts");
    let err = block_on(fetch_some(&scripted(&mem, PAGE_ROWS, &["generations:cancel"]), w, &mut |_| {})).unwrap_err();
    assert_eq!((err.step, err.error), (Step::Details, SourceError::Cancelled));
}

#[test]
fn traces_cut_at_the_generations_cap_are_counted() {
    let cap = crate::contract::generations_per_trace(2);
    let row = |t: &str, op: &str, n: u64| TraceOpRow { trace_id: t.into(), operation: op.into(), generations: n, ..TraceOpRow::default() };
    // "long" has more generations over its operations than one read returns; "exact" has the cap exactly.
    let rows = [row("exact", "a", cap), row("long", "a", cap), row("long", "b", 1), row("other", "a", cap + 5)];
    let read = |t: &str, n: u64| (0..n).map(|i| GenerationRow { uuid: format!("{t}{i}"), trace_id: t.into(), ..GenerationRow::default() }).collect::<Vec<_>>();
    let generations: Vec<GenerationRow> = [read("exact", cap), read("long", cap)].concat();
    let ids = ["long".to_string(), "exact".to_string(), "long".to_string()];
    assert_eq!(cut_traces(&rows, &ids, &generations), 1, "only the traces asked for, and only those read short");
    assert_eq!(cut_traces(&rows, &ids, &[read("exact", cap), read("long", cap + 1)].concat()), 0);
}

#[test]
fn a_full_capped_answer_is_said_to_be_cut() {
    let (mem, w) = demo();
    let f = block_on(fetch_some(&mem, w, &mut |_| {})).unwrap();
    assert!(f.dataset.prefixes.len() < crate::contract::PREFIX_ROWS && f.dataset.errors.len() < crate::contract::ERROR_ROWS);
    assert_eq!(f.cuts, Vec::<String>::new(), "nothing cut on a small project");
    // The same project with the errors answer filled to its cap.
    struct Full<'a>(&'a MemorySource);
    impl DataSource for Full<'_> {
        async fn overview(&self, w: &Window) -> Result<Overview, SourceError> { self.0.overview(w).await }
        async fn rollup(&self, w: &Window, p: &RollupPage) -> Result<Page<RollupRow>, SourceError> { self.0.rollup(w, p).await }
        async fn latency(&self, w: &Window) -> Result<Vec<LatencyRow>, SourceError> { self.0.latency(w).await }
        async fn trace_ops(&self, w: &Window, p: &TraceOpsPage) -> Result<Page<TraceOpRow>, SourceError> { self.0.trace_ops(w, p).await }
        async fn prefixes(&self, w: &Window) -> Result<Vec<PrefixRow>, SourceError> { self.0.prefixes(w).await }
        async fn errors(&self, w: &Window) -> Result<Vec<ErrorRow>, SourceError> {
            let one = self.0.errors(w).await?.remove(0);
            Ok(vec![one; crate::contract::ERROR_ROWS])
        }
        async fn generations(&self, w: &Window, ids: &[String]) -> Result<TraceRows, SourceError> { self.0.generations(w, ids).await }
        async fn signals(&self, w: &Window) -> Result<Vec<SignalRow>, SourceError> { self.0.signals(w).await }
        async fn segments(&self, w: &Window) -> Result<Vec<SegmentRow>, SourceError> { self.0.segments(w).await }
    }
    let f = block_on(fetch_some(&Full(&mem), w, &mut |_| {})).unwrap();
    assert_eq!(f.cuts, [format!("errors: the {} most frequent error groups only", crate::contract::ERROR_ROWS)]);
}

#[test]
fn traces_past_the_spans_cap_are_cut_and_counted() {
    let spans = |t: &str, n: u64| (0..n).map(|i| SpanRow { uuid: format!("{t}{i:03}"), trace_id: t.into(), ..SpanRow::default() }).collect::<Vec<_>>();
    let per_trace = 4;
    // "wide" came back one past the cap (the query's sign of more), "exact" at it, "small" under it.
    let mut read = [spans("exact", per_trace), spans("small", 2), spans("wide", per_trace + 1)].concat();
    assert_eq!(cut_spans(&mut read, per_trace), 1);
    let kept = |t: &str| read.iter().filter(|s| s.trace_id == t).count() as u64;
    assert_eq!((kept("exact"), kept("small"), kept("wide")), (per_trace, 2, per_trace));
    assert!(read.iter().filter(|s| s.trace_id == "wide").map(|s| s.uuid.as_str()).eq(["wide000", "wide001", "wide002", "wide003"]), "the earliest are kept");
}
